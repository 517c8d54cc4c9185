package kvmsim.journal.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kvmsim.domain.audit.Auditor;
import kvmsim.domain.audit.OfflineAudit;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.trace.TraceParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every example of the repository, read and replayed on the reference engine in the module that
 * can read traces: it passes (exit 0), the model covers every step of it, and auditing its events
 * again offline finds what the replay found online, and so does folding each step into a copy of
 * the auditor (as explore does). The actor engine's agreement is actors'.
 */
class ExamplesOnReferenceEngineTest {

    static Stream<Path> examples() throws Exception {
        try (Stream<Path> s = Files.walk(Path.of("..", "examples"))) {
            List<Path> all = s.filter(p -> p.toString().endsWith(".trace")).sorted().toList();
            assertFalse(all.isEmpty(), "the examples are in ../examples");
            return all.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("examples")
    void everyExamplePassesOnTheReferenceEngine(Path example) throws Exception {
        Trace trace = TraceParser.parse(example);
        assertEquals(List.of(), trace.notModelled());
        List<StepResult> failed = new ArrayList<>();
        List<Emitted> events = new ArrayList<>();
        RunReport r = Replay.run("example", trace, Replay.policiesFor(trace, Map.of()), new ReferenceEngine(), false,
                new ReplayListener() {
                    @Override
                    public void step(StepResult s) {
                        if (!s.mismatches().isEmpty()) {
                            failed.add(s);
                        }
                    }

                    @Override
                    public void event(String entityPath, Recorded recorded) {
                        events.add(new Emitted(EntityId.parse(entityPath), recorded));
                    }
                });
        assertEquals(List.of(), failed);
        assertEquals(0, r.exitStatus(), "unexpected violations: " + r.unexpected());
        assertTrue(r.eventCount() > 0);
        List<Violation> online = new ArrayList<>(r.violations());
        online.sort(OfflineAudit.ORDER);
        assertEquals(online, OfflineAudit.audit(events));
    }

    @ParameterizedTest
    @MethodSource("examples")
    void foldingEachStepIntoACopyOfTheAuditorIsTheAuditOfTheWholeRun(Path example) throws Exception {
        Trace trace = TraceParser.parse(example);
        Auditor running = new Auditor();
        Auditor[] copied = {new Auditor()};
        List<Emitted> step = new ArrayList<>();
        Replay.run("example", trace, Replay.policiesFor(trace, Map.of()), new ReferenceEngine(), false,
                new ReplayListener() {
                    @Override
                    public void event(String entityPath, Recorded recorded) {
                        step.add(new Emitted(EntityId.parse(entityPath), recorded));
                    }

                    @Override
                    public void step(StepResult s) {
                        Object before = copied[0].facts();
                        Auditor next = copied[0].copy();
                        List<Violation> a = new ArrayList<>();
                        List<Violation> b = new ArrayList<>();
                        for (Emitted e : step) {
                            a.addAll(running.observe(e.entity(), e.recorded()));
                            b.addAll(next.observe(e.entity(), e.recorded()));
                        }
                        a.addAll(running.endStep(s.line()));
                        b.addAll(next.endStep(s.line()));
                        assertEquals(before, copied[0].facts(), "line " + s.line() + ": the copied auditor is untouched");
                        assertEquals(a, b, "line " + s.line());
                        assertEquals(running.facts(), next.facts(), "line " + s.line());
                        copied[0] = next;
                        step.clear();
                    }
                });
        assertEquals(running.violations(), copied[0].violations());
    }
}
