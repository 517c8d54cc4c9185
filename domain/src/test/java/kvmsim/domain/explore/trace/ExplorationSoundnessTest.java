package kvmsim.domain.explore.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import kvmsim.domain.explore.Counterexample;
import kvmsim.domain.explore.ExploreOptions;
import kvmsim.domain.policy.Policies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reduced search (sleep sets over the steps' footprints, state caching on the keys) finds exactly what running every
 * interleaving one by one finds, by invariant and entity, at the same shortest depth, on random multi-thread traces of the real
 * model. If a footprint missed a location a step depends on, or a key missed a fact, some seed here would lose a finding.
 */
class ExplorationSoundnessTest {

    static final int SEEDS = 80;

    static LongStream seeds() {
        return LongStream.range(0, SEEDS);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void reducedSearchFindsWhatEveryInterleavingFinds(long seed) {
        RandomThreadedTraces.Generated g = RandomThreadedTraces.generate(seed);
        Policies p = Policies.defaults().with(g.policies());
        Exploration every = Exploration.explore(g.steps(), p, ExploreOptions.everyInterleaving());
        Exploration reduced = Exploration.explore(g.steps(), p, ExploreOptions.reducedAndCached());
        assertTrue(every.search().exhaustive() && reduced.search().exhaustive());
        assertEquals(depths(every), depths(reduced), "findings and their shortest depths, seed " + seed);
        assertTrue(reduced.search().transitionsExecuted() <= every.search().transitionsExecuted());
    }

    @Test
    void theRandomTracesBreakInvariantsAndTheReductionSavesWork() {
        // the property above would hold vacuously if no generated trace broke anything, or if nothing commuted
        int withFindings = 0;
        long every = 0;
        long reduced = 0;
        for (long seed = 0; seed < SEEDS; seed++) {
            RandomThreadedTraces.Generated g = RandomThreadedTraces.generate(seed);
            Policies p = Policies.defaults().with(g.policies());
            Exploration e = Exploration.explore(g.steps(), p, ExploreOptions.everyInterleaving());
            Exploration r = Exploration.explore(g.steps(), p, ExploreOptions.reducedAndCached());
            withFindings += e.search().counterexamples().isEmpty() ? 0 : 1;
            every += e.search().transitionsExecuted();
            reduced += r.search().transitionsExecuted();
        }
        assertTrue(withFindings >= SEEDS / 5, "traces with findings: " + withFindings);
        assertTrue(reduced * 2 < every, "transitions reduced " + reduced + " vs every " + every);
    }

    private static Map<String, Integer> depths(Exploration x) {
        Map<String, Integer> out = new TreeMap<>();
        for (Counterexample c : x.search().counterexamples()) {
            out.put(c.finding(), c.depth());
        }
        return out;
    }
}
