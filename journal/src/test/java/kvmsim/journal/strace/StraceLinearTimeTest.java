package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The import stays linear in its input, on the lines that made regexes quadratic: a line of
 * 200,000 blanks took 271 s. Each case, inference pass included, is bounded by one second.
 */
class StraceLinearTimeTest {

    private static final String BLANKS = " ".repeat(200_000);
    private static final Duration BOUND = Duration.ofSeconds(1);

    @Test
    void aCallAfter200kBlanksImports() {
        List<String> steps = assertTimeoutPreemptively(BOUND,
                () -> StraceImports.run(null, false, BLANKS + "ioctl(3, KVM_CREATE_VM, 0) = 8" + BLANKS).steps());
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0"), steps);
    }

    @Test
    void garbageAfter200kBlanksIsRejected() {
        assertTimeoutPreemptively(BOUND, () -> {
            StraceFormatException e = assertThrows(StraceFormatException.class,
                    () -> StraceImports.run(null, false, BLANKS + "x" + BLANKS + "y"));
            assertTrue(e.getMessage().startsWith("rec.strace:1: not strace output"), e.getMessage());
        });
    }

    @Test
    void blanksInsideACallAndItsResult() {
        assertTimeoutPreemptively(BOUND, () -> {
            assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0"), StraceImports.run(null, false,
                    "ioctl(3," + BLANKS + "KVM_CREATE_VM, 0) =" + BLANKS + "8" + BLANKS + "<0.000021>").steps());
            StraceFormatException e = assertThrows(StraceFormatException.class,
                    () -> StraceImports.run(null, false, "ioctl(3, KVM_CREATE_VM, 0) = 8" + BLANKS + "x"));
            assertEquals("rec.strace:1: cannot read the result '8" + BLANKS + "x'", e.getMessage());
        });
    }

    @Test
    void quoteMarkersAndWrappedPiecesByTheHundredThousand() {
        assertTimeoutPreemptively(BOUND, () -> {
            assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0"),
                    StraceImports.run(null, false, "> ".repeat(100_000) + "ioctl(3, KVM_CREATE_VM, 0) = 8").steps());
            String[] pieces = new String[100_001];
            pieces[0] = "ioctl(3, KVM_CREATE_VM,";
            java.util.Arrays.fill(pieces, 1, pieces.length, "x");
            StraceImports i = StraceImports.run(null, true, pieces);
            assertEquals(1, i.summary().unreadable(), "one wrapped line of 100,001 lines, unfinished");
        });
    }
}
