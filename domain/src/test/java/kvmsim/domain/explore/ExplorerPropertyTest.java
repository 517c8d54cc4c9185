package kvmsim.domain.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * On 500 fixed random models, every reduced or cached search finds exactly the findings of the oracle (every interleaving run
 * one by one), each at the oracle's minimal depth, with a path that reproduces it; and sleep sets keep every reachable state.
 */
class ExplorerPropertyTest {

    static final int SEEDS = 500;

    private static final ExploreOptions CACHED = ExploreOptions.everyInterleaving().withStateCaching(true);
    private static final ExploreOptions REDUCED = ExploreOptions.everyInterleaving().withReduction(true);
    private static final ExploreOptions BOTH = ExploreOptions.reducedAndCached();
    private static final List<ExploreOptions> MODES = List.of(CACHED, REDUCED, BOTH);

    @Test
    void reducedAndCachedSearchesAgreeWithTheOracle() {
        long[] transitions = new long[MODES.size() + 1];
        int withFindings = 0;
        int pruned = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            Program p = RandomModels.generate(seed);
            ExploreResult oracle = Explorer.explore(p, ExploreOptions.everyInterleaving());
            assertEquals(oracle.interleavings().longValueExact(), oracle.finishedStates(), "seed " + seed);
            Map<String, Integer> expected = Program.depths(oracle);
            transitions[0] += oracle.transitionsExecuted();
            withFindings += expected.isEmpty() ? 0 : 1;
            ExploreResult[] results = new ExploreResult[MODES.size()];
            for (int i = 0; i < MODES.size(); i++) {
                ExploreOptions mode = MODES.get(i);
                ExploreResult r = Explorer.explore(p, mode);
                results[i] = r;
                String where = "seed " + seed + ", " + mode;
                assertTrue(r.exhaustive(), where);
                assertEquals(expected, Program.depths(r), where);
                for (Counterexample c : r.counterexamples()) {
                    assertTrue(Program.replay(p, c.path()).contains(c.finding()), where + ": " + c + " does not reproduce");
                }
                assertTrue(r.transitionsExecuted() <= oracle.transitionsExecuted(), where);
                transitions[i + 1] += r.transitionsExecuted();
            }
            ExploreResult cached = results[MODES.indexOf(CACHED)];
            ExploreResult both = results[MODES.indexOf(BOTH)];
            assertEquals(cached.distinctStates(), both.distinctStates(), "seed " + seed + ": sleep sets skip steps, never states");
            pruned += both.transitionsExecuted() < cached.transitionsExecuted() ? 1 : 0;
        }
        System.out.printf("%d seeds, %d with findings, %d where sleep sets cut transitions below caching alone%n",
                SEEDS, withFindings, pruned);
        System.out.printf("transitions: oracle %d, cached %d, reduced %d, reduced+cached %d%n",
                transitions[0], transitions[1], transitions[2], transitions[3]);
        // the comparison means something only if findings are common and the reduction does prune
        assertTrue(withFindings > SEEDS * 3 / 4, "seeds with findings: " + withFindings);
        assertTrue(pruned > SEEDS / 2, "seeds where sleep sets pruned: " + pruned);
    }

    /**
     * Larger models on which a wrong merge of sleep sets loses reachable states: keeping the union of the arrivals' sleep sets
     * instead of their intersection visits fewer states than caching alone on exactly these seeds (found by running seeds 1 to
     * 100,000 against that mistake). Tied to {@link RandomModels} as it is: changing the generator changes the models.
     */
    @Test
    void mergedSleepSetsKeepEveryStateOnLargerModels() {
        for (long seed : new long[] {13467, 15222, 73610}) {
            Program p = RandomModels.generate(seed, RandomModels.LARGE);
            ExploreResult cached = Explorer.explore(p, CACHED);
            ExploreResult both = Explorer.explore(p, BOTH);
            assertEquals(cached.distinctStates(), both.distinctStates(), "seed " + seed);
            assertEquals(Program.depths(cached), Program.depths(both), "seed " + seed);
            assertTrue(both.transitionsExecuted() < cached.transitionsExecuted(), "seed " + seed);
        }
    }
}
