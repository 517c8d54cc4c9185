package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kvmsim.actors.engine.ActorEngine;
import kvmsim.actors.engine.ConcurrentReplay;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.testing.EnginesAgree;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunRecorder;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.store.JournalLocation;
import kvmsim.journal.trace.TraceParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every example trace, at 1, 8 and 256 steps in flight: the actor engine on an on-disk H2
 * journal agrees with the reference engine ({@link EnginesAgree}). Messages between actors are serialized (serialize-messages = on), so every
 * command, reply, event and state also round-trips through Jackson CBOR.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnginesAgreeTest {

    private KvmsimSystem sys;

    @BeforeAll
    void start() throws Exception {
        JournalLocation location = JournalLocation.parse("h2:" + Files.createTempDirectory("kvmsim-agree"));
        location.ensureSchema();
        sys = KvmsimSystem.start(location, ConfigFactory.parseString(
                "pekko.actor.serialize-messages = on\npekko.actor.no-serialization-verification-needed-class-prefix = [\"org.apache.pekko.\"]"));
    }

    @AfterAll
    void stop() {
        sys.close();
    }

    static Stream<Path> examples() throws Exception {
        try (Stream<Path> s = Files.walk(Path.of("examples"))) {
            return s.filter(p -> p.toString().endsWith(".trace")).sorted().toList().stream();
        }
    }

    /** Every example at one step in flight, a few, and more than any example has steps that could overlap. */
    static Stream<Arguments> examplesAndWindows() throws Exception {
        return examples().flatMap(p -> Stream.of(1, 8, 256).map(w -> Arguments.of(p, w)));
    }

    @ParameterizedTest
    @MethodSource("examplesAndWindows")
    void actorEngineMatchesReferenceEngine(Path example, int window) throws Exception {
        Trace trace = TraceParser.parse(example);
        String run = "agree-" + example.getFileName().toString().replace(".trace", "") + "-w" + window;
        EnginesAgree.Agreed agreed = EnginesAgree.check(sys, run, trace, Replay.policiesFor(trace, Map.of()), window);
        assertEquals(0, agreed.report().exitStatus(), "the example itself must pass");
        // every example drives a VM, or the pKVM hypervisor, which lives in the host entity
        assertTrue(agreed.stored().keySet().stream().anyMatch(k -> k.startsWith("vm/") || k.startsWith("host/")));
    }

    /**
     * The example of trace-format.md expects the pre-b64d740 behaviour (its POLICY step says
     * if-modified). Under the default, unconditional, the doc says the second write misses the TLB,
     * faults and is logged: exactly its tlb, dirty_pages and violations expectations fail, in both
     * engines alike.
     */
    @org.junit.jupiter.api.Test
    void theFormatDocExampleUnderTheUnconditionalFlush() throws Exception {
        Trace trace = TraceParser.parse(Path.of("examples/x86/trace-format-example.trace"));
        Map<String, String> policy = Map.of("dirty-log-flush", "unconditional");
        RunRecorder refSteps = new RunRecorder();
        RunRecorder actSteps = new RunRecorder();
        RunReport ref = Replay.run("doc-ref", trace, Replay.policiesFor(trace, policy), new ReferenceEngine(), false,
                refSteps);
        ConcurrentReplay.run("doc-unconditional", trace, Replay.policiesFor(trace, policy),
                new ActorEngine(sys, "doc-unconditional"), ConcurrentReplay.DEFAULT_WINDOW, false, actSteps);
        assertEquals(refSteps.steps(), actSteps.steps());
        List<String> failed = new ArrayList<>();
        refSteps.steps().forEach(s -> s.mismatches().forEach(m -> failed.add(s.op() + " " + m.key() + " expected "
                + m.expected() + " got " + m.actual())));
        assertEquals(List.of("GUEST_WRITE tlb expected hit got miss", "KVM_GET_DIRTY_LOG dirty_pages expected [] got [5]",
                "CHECK violations expected [dirty-log-completeness, stale-writable-tlb] got []"), failed);
        assertTrue(ref.violations().isEmpty());
    }

}
