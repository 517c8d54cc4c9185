package kvmsim.journal.strace;

import kvmsim.journal.trace.TraceFormatException;

/** A recording that is not strace output kvmsim can read: {@code FILE:LINE: reason}, exit status 2. */
public final class StraceFormatException extends TraceFormatException {

    private static final long serialVersionUID = 1L;

    public StraceFormatException(String file, int line, String reason) {
        super(file, line, reason);
    }

    public StraceFormatException(String file, int line, String reason, Throwable cause) {
        super(file, line, reason, cause);
    }
}
