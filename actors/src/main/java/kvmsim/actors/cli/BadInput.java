package kvmsim.actors.cli;

/** Bad input, usage or I/O: the message is printed as it is (FILE:LINE: reason) and kvmsim exits 2. */
final class BadInput extends RuntimeException {

    BadInput(String message) {
        super(message);
    }
}
