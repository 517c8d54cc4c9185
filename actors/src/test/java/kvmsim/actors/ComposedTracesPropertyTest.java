package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.LongStream;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.testing.ComposedTraces;
import kvmsim.actors.testing.EnginesAgree;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.store.JournalLocation;
import kvmsim.journal.trace.TraceParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random valid multi-VM traces (ComposedTraces: examples moved apart and shuffled together, under drawn policies): the
 * trace parses, both engines agree (step results, per-entity journals, the offline audit equals the online check, at a
 * window of 64), every kept expectation holds, and the parts break exactly the invariants each breaks alone; under the
 * default policies, none but what the parts declare they break. More seeds: -Dcomposed.seeds=N.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComposedTracesPropertyTest {

    private KvmsimSystem sys;
    private Path dir;
    // how many seeds kept some part's expectations, and ran under the default policies: the checks
    // of those cases must have run at least once
    private int keptExpectations;
    private int underDefaults;

    @BeforeAll
    void start() throws Exception {
        JournalLocation journal = JournalLocation.inMemory("composed-" + System.nanoTime());
        journal.ensureSchema();
        sys = KvmsimSystem.start(journal, ConfigFactory.empty());
        dir = Files.createTempDirectory("kvmsim-composed");
    }

    @AfterAll
    void stop() {
        sys.close();
        assertTrue(keptExpectations > 0, "no seed kept a part's expectations: nothing checked they hold");
        assertTrue(underDefaults > 0, "no seed ran under the default policies");
    }

    LongStream seeds() {
        return LongStream.range(0, Long.getLong("composed.seeds", 12L));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void bothEnginesAgreeAndThePartsDoNotInterfere(long seed) throws Exception {
        ComposedTraces.Composed c = ComposedTraces.generate(seed, dir);
        keptExpectations += c.expectsKept() ? 1 : 0;
        Trace trace = TraceParser.parse(c.file());
        RunReport r = EnginesAgree.check(sys, "composed-" + seed, trace, c.policies(), 64).report();
        assertEquals(0, r.mismatchCount(), c.parts() + " under " + c.policies().values());
        Set<String> broken = new TreeSet<>();
        r.violations().forEach((Violation v) -> broken.add(v.invariant()));
        // moved apart, the parts break exactly what each breaks alone under the same policies
        Set<String> alone = new TreeSet<>();
        for (String part : c.parts()) {
            Replay.run("alone", TraceParser.parse(Path.of(part)), c.policies(), new ReferenceEngine(), false)
                    .violations().forEach(v -> alone.add(v.invariant()));
        }
        assertEquals(alone, broken, c.parts() + " under " + c.policies().values());
        if (c.policies().equals(Policies.defaults())) {
            underDefaults++;
            // under the defaults, nothing but what the parts' own violations CHECKs declare
            assertTrue(c.expectedViolations().containsAll(broken), c.parts() + ": broke " + broken
                    + " under the default policies, the parts expected " + c.expectedViolations());
        }
    }
}
