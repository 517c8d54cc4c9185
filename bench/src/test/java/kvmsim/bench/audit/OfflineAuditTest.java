package kvmsim.bench.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import kvmsim.bench.traces.Arm64TraceGenerator;
import kvmsim.domain.audit.OfflineAudit;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.trace.Trace;
import org.junit.jupiter.api.Test;

/** The offline audit, fed only the events, finds exactly what the replay found online. */
class OfflineAuditTest {

    @Test
    void aHundredThousandGeneratedStepsAuditTheSameOfflineAsOnline() {
        Trace trace = Arm64TraceGenerator.generate(100_000, 7);
        List<Emitted> events = new ArrayList<>();
        RunReport online = Replay.run("gen", trace, Replay.policiesFor(trace, Map.of()), new ReferenceEngine(), false,
                new ReplayListener() {
                    @Override
                    public void step(kvmsim.domain.engine.StepResult result) {
                    }

                    @Override
                    public void event(String entityPath, Recorded recorded) {
                        events.add(new Emitted(EntityId.parse(entityPath), recorded));
                    }
                });
        List<Violation> expected = new ArrayList<>(online.violations());
        expected.sort(OfflineAudit.ORDER);
        Set<String> kinds = new TreeSet<>();
        expected.forEach(v -> kinds.add(v.invariant()));
        // the generator's resets and userspace writes break the I-cache rule about a hundred times
        assertTrue(expected.size() > 10 && kinds.contains("icache-coherent-after-reset"), kinds + " " + expected.size());
        assertTrue(events.size() > 200_000, "events: " + events.size());
        assertEquals(expected, OfflineAudit.audit(events));
    }
}
