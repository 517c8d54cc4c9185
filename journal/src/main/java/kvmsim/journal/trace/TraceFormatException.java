package kvmsim.journal.trace;

/**
 * A trace that is not valid trace format v1 (trace-format.md). Its message is what the CLI prints
 * before exiting with status 2, so it names the file and, where there is one, the line.
 */
public class TraceFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final String reason;

    /** @param line 1-based; 0 when the problem is not on one line (e.g. the file cannot be read) */
    public TraceFormatException(String file, int line, String reason) {
        this(file, line, reason, null);
    }

    public TraceFormatException(String file, int line, String reason, Throwable cause) {
        super(line > 0 ? file + ":" + line + ": " + reason : file + ": " + reason, cause);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    public String file() {
        return file;
    }

    /** 1-based line of the problem, 0 if the problem is not on one line. */
    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }
}
