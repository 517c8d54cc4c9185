package kvmsim.journal.strace;

import kvmsim.journal.trace.TraceFormatException;

/**
 * A recording that is not strace output kvmsim can read: {@code FILE:LINE: reason}, exit status 2.
 * {@link #lineCanBeSkipped()} tells one line kvmsim cannot read, which {@code --lenient} skips,
 * from a problem of the whole recording (it cannot be read, its architecture is not modelled).
 */
public final class StraceFormatException extends TraceFormatException {

    private static final long serialVersionUID = 1L;

    private final boolean lineCanBeSkipped;

    public StraceFormatException(String file, int line, String reason) {
        this(file, line, reason, null, false);
    }

    public StraceFormatException(String file, int line, String reason, Throwable cause) {
        this(file, line, reason, cause, false);
    }

    private StraceFormatException(String file, int line, String reason, Throwable cause, boolean lineCanBeSkipped) {
        super(file, line, reason, cause);
        this.lineCanBeSkipped = lineCanBeSkipped;
    }

    /** One line kvmsim cannot read: the import stops there, unless it is lenient. */
    static StraceFormatException unreadableLine(String file, int line, String reason) {
        return new StraceFormatException(file, line, reason, null, true);
    }

    public boolean lineCanBeSkipped() {
        return lineCanBeSkipped;
    }
}
