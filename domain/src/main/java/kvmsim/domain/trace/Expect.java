package kvmsim.domain.trace;

import java.util.List;

/**
 * A step's {@code expect}: each field null when not given. {@code ret} and {@code errno} check the
 * return value; the others check a step's results (trace-format.md, "Expectations").
 */
public record Expect(Long ret, String errno, String exit, String tlb, List<Long> dirtyPages, String result,
        List<List<Long>> harvested) {

    public static final Expect NONE = new Expect(null, null, null, null, null, null, null);

    /** Without {@code harvested}. */
    public Expect(Long ret, String errno, String exit, String tlb, List<Long> dirtyPages, String result) {
        this(ret, errno, exit, tlb, dirtyPages, result, null);
    }

    public boolean isEmpty() {
        return equals(NONE);
    }
}
