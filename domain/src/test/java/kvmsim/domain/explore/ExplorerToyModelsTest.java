package kvmsim.domain.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Small models whose answers are known by hand, run in all four modes. */
class ExplorerToyModelsTest {

    private static final List<ExploreOptions> MODES = List.of(
            ExploreOptions.everyInterleaving(),
            ExploreOptions.everyInterleaving().withStateCaching(true),
            ExploreOptions.everyInterleaving().withReduction(true),
            ExploreOptions.reducedAndCached());

    /** Two threads each read x into a register, then write the register plus one: x ends at 1 when both read before either wrote. */
    static Program lostUpdate() {
        return new Program(List.of(incrementer(0), incrementer(1)));
    }

    private static List<Program.Op> incrementer(int t) {
        return List.of(
                m -> m.set("r" + t, m.get("x")),
                m -> {
                    m.set("x", m.get("r" + t) + 1);
                    int finished = m.get("finished") + 1;
                    m.set("finished", finished);
                    if (finished == 2 && m.get("x") == 1) {
                        m.reveal("lost-update");
                    }
                });
    }

    @Test
    void lostUpdateIsFoundAfterBothReadsAndBothWrites() {
        for (ExploreOptions mode : MODES) {
            ExploreResult r = Explorer.explore(lostUpdate(), mode);
            assertEquals(Map.of("lost-update", 4), Program.depths(r), mode.toString());
            assertTrue(r.exhaustive());
            Counterexample c = r.shortest("lost-update").orElseThrow();
            assertEquals(List.of("lost-update"), Program.replay(lostUpdate(), c.path()), "the path reproduces it: " + c);
        }
        // breadth-first in thread order: the first depth-4 prefix with both reads first is 0,1,0,1
        assertEquals(List.of(0, 1, 0, 1),
                Explorer.explore(lostUpdate(), ExploreOptions.everyInterleaving()).shortest("lost-update").orElseThrow().path());
    }

    @Test
    void anAtomicIncrementLosesNothing() {
        Program.Op atomic = m -> {
            m.set("x", m.get("x") + 1);
            int finished = m.get("finished") + 1;
            m.set("finished", finished);
            if (finished == 2 && m.get("x") == 1) {
                m.reveal("lost-update");
            }
        };
        for (ExploreOptions mode : MODES) {
            ExploreResult r = Explorer.explore(new Program(List.of(List.of(atomic), List.of(atomic))), mode);
            assertTrue(r.counterexamples().isEmpty(), mode.toString());
            assertTrue(r.exhaustive());
        }
    }

    /** The writer publishes the flag before the data: a reader between the two sees the flag and stale data. */
    @Test
    void flagBeforeDataIsSeenAfterTwoSteps() {
        Program p = new Program(List.of(
                List.of(m -> m.set("flag", 1), m -> m.set("data", 1)),
                List.of(m -> {
                    if (m.get("flag") == 1 && m.get("data") == 0) {
                        m.reveal("stale-data");
                    }
                })));
        for (ExploreOptions mode : MODES) {
            ExploreResult r = Explorer.explore(p, mode);
            assertEquals(List.of(0, 1), r.shortest("stale-data").orElseThrow().path(), mode.toString());
        }
    }

    /** The same finding from several steps and paths: the shallowest wins, whichever thread it comes from. */
    @Test
    void aFindingRevealedOnManyPathsKeepsItsShallowestOne() {
        Program.Op addOne = m -> {
            m.set("x", m.get("x") + 1);
            if (m.get("x") == 2) {
                m.reveal("x-is-2");
            }
        };
        Program.Op idle = m -> m.set("idle", m.get("idle") + 1);
        // thread 0 needs idle steps before its increment; thread 1 increments twice at once
        Program p = new Program(List.of(List.of(idle, idle, addOne), List.of(addOne, addOne)));
        for (ExploreOptions mode : MODES) {
            ExploreResult r = Explorer.explore(p, mode);
            assertEquals(List.of(1, 1), r.shortest("x-is-2").orElseThrow().path(), mode.toString());
        }
    }

    @Test
    void threadsWithoutStepsAndASingleThread() {
        Program.Op last = m -> m.reveal("ran");
        for (ExploreOptions mode : MODES) {
            ExploreResult r = Explorer.explore(new Program(List.of(List.of(), List.of(m -> { }, last), List.of())), mode);
            assertEquals(List.of(1, 1), r.shortest("ran").orElseThrow().path());
            assertEquals(1, r.finishedStates());
            assertEquals(2, r.transitionsExecuted());
        }
        ExploreResult none = Explorer.explore(new Program(List.of(List.of())), ExploreOptions.reducedAndCached());
        assertEquals(0, none.transitionsExecuted());
        assertEquals(1, none.finishedStates());
        assertTrue(none.exhaustive());
    }

    @Test
    void aModelWithoutThreadsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Explorer.explore(new Program(List.of()), ExploreOptions.reducedAndCached()));
    }
}
