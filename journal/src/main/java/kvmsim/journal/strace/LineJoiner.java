package kvmsim.journal.strace;

/**
 * The second stage of reading a recording: joins the lines a mail client wrapped back into the
 * line strace printed, after {@link LineCleaner} took the pasting off each.
 *
 * <p>What counts as a continuation: a line that does not begin the way strace begins a line
 * (no pid or timestamp prefix followed by a lower-case system call name and '(', no
 * {@code <... name resumed>}, {@code --- SIG}, {@code +++ } or {@code strace: }), right after a
 * line that strace had not finished (its call has no {@code ) = result} yet, see
 * {@link OpenCall}). Anything else starts a new line, and a line left unfinished goes on as it
 * is, for the grammar to call it truncated. A skipped line (blank, comment, elision) ends a
 * wrapped line too: a mail client does not put one inside.
 *
 * <p>Memory holds the one line being joined, at most {@link #MAX_CHARS} characters.
 */
final class LineJoiner {

    /** A line of strace output: physical lines {@code first} to {@code last} of the recording, joined. */
    record Joined(int first, int last, String text) {
        /** "12" or, for a wrapped line, "12-14": how a comment or a message names it. */
        String lines() {
            return first == last ? Integer.toString(first) : first + "-" + last;
        }
    }

    interface Sink {
        void line(Joined line) throws StraceFormatException;
    }

    /**
     * How long a wrapped line may grow before the next piece starts a line of its own: a bound on
     * memory far above what strace prints for one call with its default string size (-s 32).
     */
    static final int MAX_CHARS = 1 << 20;

    private final Sink sink;
    private OpenCall open;

    LineJoiner(Sink sink) {
        this.sink = sink;
    }

    /** A line of text, without indentation or quote markers, and how it begins. */
    void text(int line, String text, StraceGrammar.Opening opening) throws StraceFormatException {
        if (open != null && opening.start() == StraceGrammar.Start.NONE && open.length() + text.length() < MAX_CHARS) {
            open.append(line, text);
            if (open.complete()) {
                flush();
            }
            return;
        }
        flush();
        OpenCall call = new OpenCall(line, text, opening);
        if (call.complete()) {
            sink.line(call.joined());
        } else {
            open = call;
        }
    }

    /** Hands on the line being joined, finished or not: a skipped line or the end of the recording ends it. */
    void flush() throws StraceFormatException {
        if (open != null) {
            OpenCall call = open;
            open = null;
            sink.line(call.joined());
        }
    }
}
