package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The import's fuzzer (StraceFuzz) at length, under -Pheavy: 50,000 inputs from another seed than the short run's. */
@Tag("heavy")
class StraceFuzzLongTest {

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // no hang, as promised
    void fiftyThousandInputsEachEndInATraceOrAClearError() throws Exception {
        StraceFuzz.Counts c = StraceFuzz.run(Long.getLong("fuzz.seed", 7L), 50_000);
        assertEquals(50_000, c.traces() + c.errors());
        assertTrue(c.traces() > 10_000 && c.errors() > 10_000, "both outcomes exercised: " + c);
        System.out.println("strace fuzz: " + c);
    }
}
