package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import kvmsim.actors.engine.ActorEngine;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.JournalReader;
import kvmsim.domain.audit.OfflineAudit;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunRecorder;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.store.JournalLocation;
import kvmsim.journal.trace.TraceParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every example trace: the actor engine on an on-disk H2 journal gives the same step results
 * as the reference engine, and the events read back from the journal, per entity, are exactly the
 * reference engine's; auditing those stored events offline finds exactly the violations the replay
 * found online. Messages between actors are serialized (serialize-messages = on), so every
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

    @ParameterizedTest
    @MethodSource("examples")
    void actorEngineMatchesReferenceEngine(Path example) throws Exception {
        Trace trace = TraceParser.parse(example);
        String run = "agree-" + example.getFileName().toString().replace(".trace", "");
        RunRecorder refSteps = new RunRecorder();
        RunRecorder actSteps = new RunRecorder();
        RunReport ref = Replay.run(run, trace, Replay.policiesFor(trace, Map.of()), new ReferenceEngine(), false,
                refSteps);
        RunReport act = Replay.run(run, trace, Replay.policiesFor(trace, Map.of()),
                new ActorEngine(sys, run), false, actSteps);

        assertEquals(0, ref.exitStatus(), "the example itself must pass: "
                + refSteps.steps().stream().filter(StepResult::failed).toList());
        assertEquals(refSteps.steps(), actSteps.steps());
        assertEquals(ref, withRun(act, ref.runId()));

        Map<String, List<Recorded>> stored = new TreeMap<>();
        for (JournalReader.Stored s : new JournalReader(sys.system()).runEvents(run, null)) {
            stored.computeIfAbsent(s.persistenceId().substring(run.length() + 1), k -> new ArrayList<>())
                    .add((Recorded) s.event());
        }
        assertFalse(stored.isEmpty());
        // the offline audit, from the journal's events alone, finds what the replay found online
        List<Violation> online = new ArrayList<>(act.violations());
        online.sort(OfflineAudit.ORDER);
        List<Emitted> journalOrder = new ArrayList<>();
        for (JournalReader.Stored s : new JournalReader(sys.system()).runEvents(run, null)) {
            journalOrder.add(new Emitted(EntityId.parse(s.persistenceId().substring(run.length() + 1)),
                    (Recorded) s.event()));
        }
        assertEquals(online, OfflineAudit.audit(journalOrder), "offline audit of the stored run");
        assertEquals(new TreeMap<>(refSteps.events()), stored, "per-entity event streams in the journal");
        // every example drives a VM, or the pKVM hypervisor, which lives in the host entity
        assertTrue(stored.keySet().stream().anyMatch(k -> k.startsWith("vm/") || k.startsWith("host/")));
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
        Replay.run("doc-unconditional", trace, Replay.policiesFor(trace, policy),
                new ActorEngine(sys, "doc-unconditional"), false, actSteps);
        assertEquals(refSteps.steps(), actSteps.steps());
        List<String> failed = new ArrayList<>();
        refSteps.steps().forEach(s -> s.mismatches().forEach(m -> failed.add(s.op() + " " + m.key() + " expected "
                + m.expected() + " got " + m.actual())));
        assertEquals(List.of("GUEST_WRITE tlb expected hit got miss", "KVM_GET_DIRTY_LOG dirty_pages expected [] got [5]",
                "CHECK violations expected [dirty-log-completeness, stale-writable-tlb] got []"), failed);
        assertTrue(ref.violations().isEmpty());
    }

    private static RunReport withRun(RunReport r, String runId) {
        return new RunReport(runId, r.file(), r.policies(), r.stepCount(), r.passedThrough(), r.mismatchCount(),
                r.eventCount(), r.violations(), r.unexpected(), r.stoppedEarly(), r.interrupted());
    }
}
