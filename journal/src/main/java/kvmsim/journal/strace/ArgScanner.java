package kvmsim.journal.strace;

/**
 * strace's arguments read one character at a time, from just inside the call's '(': quoted
 * strings (with their escapes), {@code -y} names in '<...>', nested brackets. The grammar and the
 * joiner of mail-wrapped lines both read arguments through it, so they agree on where they end.
 */
final class ArgScanner {

    /** What a character was, for the caller. */
    enum Mark { NONE, TOP_COMMA, CLOSED_PAREN, CLOSED_OTHER }

    private int depth = 1;
    private int angle;
    private boolean quoted;
    private boolean escaped;

    /** The next character; CLOSED_* once the bracket that opened the arguments is closed (by ')' or not). */
    Mark next(char c) {
        if (quoted) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                quoted = false;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == '<') {
            angle++;
        } else if (c == '>' && angle > 0) {
            angle--;
        } else if (angle == 0 && (c == '(' || c == '{' || c == '[')) {
            depth++;
        } else if (angle == 0 && (c == ')' || c == '}' || c == ']')) {
            if (--depth == 0) {
                return c == ')' ? Mark.CLOSED_PAREN : Mark.CLOSED_OTHER;
            }
        } else if (c == ',' && depth == 1 && angle == 0) {
            return Mark.TOP_COMMA;
        }
        return Mark.NONE;
    }
}
