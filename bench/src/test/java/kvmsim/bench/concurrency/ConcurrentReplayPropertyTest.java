package kvmsim.bench.concurrency;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.testing.EnginesAgree;
import kvmsim.bench.traces.RandomFleetTraceGenerator;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.store.JournalLocation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Concurrent replay against the reference engine on random fleets (several hosts, VMs sharing a
 * host, their steps shuffled together, remote TLB flushes to every vCPU of a VM), at 1, 8 and 256
 * steps in flight: the same step results, the same events per entity in the journal, and the same
 * violations found offline as online ({@link EnginesAgree}). Messages between actors are
 * serialized, as on a cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrentReplayPropertyTest {

    private static final int TRACES = 6;

    private KvmsimSystem sys;

    @BeforeAll
    void start() throws Exception {
        JournalLocation location = JournalLocation.parse("h2:" + Files.createTempDirectory("kvmsim-property"));
        location.ensureSchema();
        sys = KvmsimSystem.start(location, ConfigFactory.parseString("pekko.actor.serialize-messages = on\n"
                + "pekko.actor.no-serialization-verification-needed-class-prefix = [\"org.apache.pekko.\"]"));
    }

    @AfterAll
    void stop() {
        sys.close();
    }

    static Stream<Arguments> seedsAndWindows() {
        return Stream.iterate(1L, s -> s + 1).limit(TRACES).flatMap(seed -> Stream.of(1, 8, 256)
                .map(w -> Arguments.of(seed, w)));
    }

    @ParameterizedTest(name = "seed {0}, window {1}")
    @MethodSource("seedsAndWindows")
    void concurrentReplayAgreesWithTheReferenceEngine(long seed, int window) {
        Trace trace = RandomFleetTraceGenerator.generate(seed, 2 + (int) (seed % 2), 6, 20);
        assertTrue(someHostIsShared(trace), "the trace puts two VMs on one host");
        EnginesAgree.Agreed agreed = EnginesAgree.check(sys, "property-" + seed + "-w" + window, trace,
                Policies.defaults(), window);
        assertTrue(agreed.stored().values().stream().flatMap(java.util.List::stream)
                .anyMatch(r -> r.event().getClass().getSimpleName().equals("RemoteTlbFlushRequested")),
                "the trace flushes the TLBs of a VM's vCPUs");
    }

    private static boolean someHostIsShared(Trace trace) {
        Map<String, Integer> vmsPerHost = new HashMap<>();
        for (Step s : trace.steps()) {
            if (s instanceof Step.CreateVm c) {
                vmsPerHost.merge(c.host(), 1, Integer::sum);
            }
        }
        return vmsPerHost.values().stream().anyMatch(n -> n > 1);
    }
}
