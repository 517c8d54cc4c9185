package kvmsim.journal.strace;

/**
 * A line of strace output being put back together from the pieces a mail client wrapped it
 * into, and whether strace had finished it: a call is finished once the ')' that closes its
 * arguments is followed by {@code = } and a result whose brackets are closed
 * ({@code = -1 ENOTTY (Inappropriate ioctl for device)}, {@code = 8<anon_inode:kvm-vm>}), or
 * once it ends in {@code <unfinished ...>}; a signal once it ends in {@code ---}, an exit in
 * {@code +++}. Each piece is scanned once as it arrives, so joining is linear in the input.
 */
final class OpenCall {

    private enum Phase { ARGS, AFTER_ARGS, RESULT, OTHER }

    private static final String UNFINISHED = " <unfinished ...>";

    /** The line as it came, or once a piece is appended the StringBuilder that joins them (most lines are not wrapped). */
    private CharSequence text;
    private final StraceGrammar.Start start;
    private final int first;
    private int last;
    private Phase phase = Phase.ARGS;
    /** Inside the arguments: as StraceGrammar reads them, carried from one piece to the next. */
    private final ArgScanner args = new ArgScanner();
    /** Inside the result: whether it has begun, and its open '(' and '<'. */
    private boolean resultBegun;
    private int resultOpen;

    OpenCall(int line, String text, StraceGrammar.Opening opening) {
        this.text = text;
        this.start = opening.start();
        this.first = line;
        this.last = line;
        if (start == StraceGrammar.Start.CALL || start == StraceGrammar.Start.RESUMED) {
            scan(opening.body());
        } else {
            phase = Phase.OTHER;
        }
    }

    /**
     * The next piece: joined with one space, since a mail client wraps at a space and drops it
     * (a line cut inside a word, as {@code fold -w} does, gets a space it did not have).
     */
    void append(int line, String piece) {
        StringBuilder joined = text instanceof StringBuilder b ? b : new StringBuilder(text);
        int from = joined.length();
        joined.append(' ').append(piece);
        text = joined;
        last = line;
        if (phase != Phase.OTHER) {
            scan(from);
        }
    }

    int length() {
        return text.length();
    }

    boolean complete() {
        return switch (start) {
            case CALL, RESUMED -> phase == Phase.OTHER || phase == Phase.RESULT && resultBegun && resultOpen <= 0
                    || phase == Phase.ARGS && endsWith(UNFINISHED);
            case SIGNAL -> endsWith(" ---");
            case EXIT -> endsWith(" +++");
            case MESSAGE, NONE -> true;
        };
    }

    LineJoiner.Joined joined() {
        return new LineJoiner.Joined(first, last, text.toString());
    }

    private void scan(int from) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (phase) {
                case ARGS -> {
                    ArgScanner.Mark m = args.next(c);
                    if (m == ArgScanner.Mark.CLOSED_PAREN || m == ArgScanner.Mark.CLOSED_OTHER) {
                        phase = Phase.AFTER_ARGS;
                    }
                }
                case AFTER_ARGS -> {
                    if (c == '=') {
                        phase = Phase.RESULT;
                    } else if (!Character.isWhitespace(c)) {
                        phase = Phase.OTHER; // not strace's shape: the grammar will say what is wrong
                    }
                }
                case RESULT -> {
                    if (c == '(' || c == '<') {
                        resultOpen++;
                    } else if (c == ')' || c == '>') {
                        resultOpen--;
                    }
                    resultBegun |= !Character.isWhitespace(c);
                }
                case OTHER -> {
                    return;
                }
            }
        }
    }

    private boolean endsWith(String suffix) {
        int from = text.length() - suffix.length();
        if (from < 0) {
            return false;
        }
        for (int i = 0; i < suffix.length(); i++) {
            if (text.charAt(from + i) != suffix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
