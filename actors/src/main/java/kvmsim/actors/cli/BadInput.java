package kvmsim.actors.cli;

/** Bad input, usage or I/O: the message is printed as it is (FILE:LINE: reason) and kvmsim exits 2. */
public final class BadInput extends RuntimeException {

    public BadInput(String message) {
        super(message);
    }
}
