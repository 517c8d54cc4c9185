package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import kvmsim.actors.testing.TraceFuzz;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The trace fuzzer (TraceFuzz) at length, under -Pheavy: 3,000 inputs from another seed than the short run's. */
@Tag("heavy")
class TraceFuzzLongTest {

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // no hang, as promised
    void threeThousandInputsEachRunOrAreRefusedAtTheirLine() throws Exception {
        TraceFuzz.Counts c = TraceFuzz.run(Long.getLong("fuzz.seed", 11L), 3_000);
        assertEquals(3_000, c.ran() + c.refused());
        assertTrue(c.ran() > 300 && c.refused() > 300, "both outcomes exercised: " + c);
        System.out.println("trace fuzz: " + c);
    }
}
