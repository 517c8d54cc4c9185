package kvmsim.domain.trace;

/**
 * A trace line that is not a valid step: the reason, in the trace's terms. Whoever reads the
 * trace adds the file and the line (FILE:LINE: reason).
 */
public final class BadStep extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BadStep(String reason) {
        super(reason, null, false, false);
    }

    public static BadStep of(String format, Object... args) {
        return new BadStep(String.format(format, args));
    }
}
