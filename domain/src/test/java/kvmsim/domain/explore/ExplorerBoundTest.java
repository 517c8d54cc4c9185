package kvmsim.domain.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code maxStates}: a search it stops says so, and what it did find is still at minimal depth. */
class ExplorerBoundTest {

    @Test
    void aBoundBelowWhatTheSearchNeedsReportsNotExhaustive() {
        ExploreResult full = Explorer.explore(ExplorerToyModelsTest.lostUpdate(), ExploreOptions.reducedAndCached());
        assertTrue(full.exhaustive());
        long needed = full.statesExpanded();

        ExploreResult exact = Explorer.explore(ExplorerToyModelsTest.lostUpdate(), ExploreOptions.reducedAndCached().withMaxStates(needed));
        assertTrue(exact.exhaustive(), "a bound the search does not need to exceed does not cut it");
        assertEquals(full.findings(), exact.findings());

        ExploreResult cut = Explorer.explore(ExplorerToyModelsTest.lostUpdate(), ExploreOptions.reducedAndCached().withMaxStates(needed - 1));
        assertFalse(cut.exhaustive());
        assertEquals(needed - 1, cut.statesExpanded());

        ExploreResult early = Explorer.explore(ExplorerToyModelsTest.lostUpdate(), ExploreOptions.everyInterleaving().withMaxStates(3));
        assertFalse(early.exhaustive());
        assertEquals(3, early.statesExpanded());
        assertTrue(early.findings().isEmpty(), "lost-update needs four steps; three states reach depth 2 at most");

        ExploreResult none = Explorer.explore(ExplorerToyModelsTest.lostUpdate(), ExploreOptions.reducedAndCached().withMaxStates(0));
        assertFalse(none.exhaustive());
        assertEquals(0, none.transitionsExecuted());
    }

    @Test
    void whatACutSearchFindsIsAtTheOraclesDepth() {
        int cutSomething = 0;
        int checked = 0;
        for (long seed = 1; seed <= 100; seed++) {
            Program p = RandomModels.generate(seed);
            Map<String, Integer> oracle = Program.depths(Explorer.explore(p, ExploreOptions.everyInterleaving()));
            long needed = Explorer.explore(p, ExploreOptions.reducedAndCached()).statesExpanded();
            ExploreResult cut = Explorer.explore(p, ExploreOptions.reducedAndCached().withMaxStates(needed / 2));
            assertFalse(cut.exhaustive(), "seed " + seed);
            for (Counterexample c : cut.counterexamples()) {
                assertEquals(oracle.get(c.finding()), c.depth(), "seed " + seed + ": " + c);
                checked++;
            }
            cutSomething += cut.findings().size() < oracle.size() ? 1 : 0;
        }
        assertTrue(cutSomething > 10, "the bound did hide findings on some seeds: " + cutSomething);
        assertTrue(checked > 10, "cut searches still found something to check the depth of: " + checked);
    }

    @Test
    void aNegativeBoundIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ExploreOptions.reducedAndCached().withMaxStates(-1));
    }
}
