package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The import's fuzzer (StraceFuzz), 1,500 inputs from a fixed seed; -Dfuzz.seed / -Dfuzz.iterations vary it. */
class StraceFuzzTest {

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // no hang, as promised
    void everyInputEndsInATraceOrAClearError() throws Exception {
        int n = Integer.getInteger("fuzz.iterations", 1500);
        StraceFuzz.Counts c = StraceFuzz.run(Long.getLong("fuzz.seed", 20261121L), n);
        assertEquals(n, c.traces() + c.errors());
        assertTrue(c.traces() > n / 5 && c.errors() > n / 5, "both outcomes exercised: " + c);
        System.out.println("strace fuzz: " + c);
    }
}
