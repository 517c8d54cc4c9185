package kvmsim.domain.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sleep sets pay off where threads are mostly independent: the numbers below were observed and are kept as a floor. */
class ExplorerReductionTest {

    /**
     * {@code k} threads of {@code n} steps, each step incrementing the thread's own variable; with {@code sharedEnd} each
     * thread's last step also counts itself in a shared variable, and the last to finish reveals "all-done".
     */
    static Program ownCounters(int k, int n, boolean sharedEnd) {
        List<List<Program.Op>> threads = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            String own = "own" + t;
            List<Program.Op> steps = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                boolean last = i == n - 1;
                steps.add(m -> {
                    m.set(own, m.get(own) + 1);
                    if (last && sharedEnd) {
                        int done = m.get("done") + 1;
                        m.set("done", done);
                        if (done == k) {
                            m.reveal("all-done");
                        }
                    }
                });
            }
            threads.add(steps);
        }
        return new Program(threads);
    }

    @Test
    void withoutCachingSleepSetsRunEachStateOfIndependentThreadsOnce() {
        Program p = ownCounters(5, 2, false);
        ExploreResult every = Explorer.explore(p, ExploreOptions.everyInterleaving());
        ExploreResult reduced = Explorer.explore(p, ExploreOptions.everyInterleaving().withReduction(true));
        assertEquals(113400, every.finishedStates(), "10! / 2^5 interleavings");
        assertEquals(326010, every.transitionsExecuted(), "one per non-empty prefix");
        assertEquals(242, reduced.transitionsExecuted(), "3^5 - 1: every state but the first entered exactly once");
        assertEquals(1, reduced.finishedStates(), "one interleaving stands for all of them");
        assertTrue(every.transitionsExecuted() >= 1000 * reduced.transitionsExecuted());
    }

    @Test
    void withCachingSleepSetsStillCutTransitionsFiveFold() {
        Program p = ownCounters(8, 2, false);
        ExploreResult cached = Explorer.explore(p, ExploreOptions.everyInterleaving().withStateCaching(true));
        ExploreResult both = Explorer.explore(p, ExploreOptions.reducedAndCached());
        // caching alone runs every enabled step of each of the 3^8 states: 8 threads * 2 steps * 3^7
        assertEquals(34992, cached.transitionsExecuted());
        assertEquals(6560, both.transitionsExecuted(), "3^8 - 1: each state entered once");
        assertEquals(cached.distinctStates(), both.distinctStates());
        assertTrue(cached.transitionsExecuted() >= 5 * both.transitionsExecuted());
    }

    @Test
    void aSharedLastStepLeavesLessToSaveButTheFindingStays() {
        Program p = ownCounters(8, 2, true);
        ExploreResult cached = Explorer.explore(p, ExploreOptions.everyInterleaving().withStateCaching(true));
        ExploreResult both = Explorer.explore(p, ExploreOptions.reducedAndCached());
        assertEquals(Program.depths(cached), Program.depths(both));
        assertEquals(16, both.shortest("all-done").orElseThrow().depth());
        // observed: 34992 against 13668
        assertTrue(cached.transitionsExecuted() * 10 >= 25 * both.transitionsExecuted(),
                cached.transitionsExecuted() + " vs " + both.transitionsExecuted());
    }
}
