package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import kvmsim.actors.testing.TraceFuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The trace fuzzer (TraceFuzz), 300 inputs from a fixed seed; -Dfuzz.seed / -Dfuzz.iterations vary it. */
class TraceFuzzTest {

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // no hang, as promised
    void everyInputRunsOrIsRefusedAtItsLine() throws Exception {
        int n = Integer.getInteger("fuzz.iterations", 300);
        TraceFuzz.Counts c = TraceFuzz.run(Long.getLong("fuzz.seed", 20261205L), n);
        assertEquals(n, c.ran() + c.refused());
        assertTrue(c.ran() > n / 10 && c.refused() > n / 10, "both outcomes exercised: " + c);
        System.out.println("trace fuzz: " + c);
    }
}
