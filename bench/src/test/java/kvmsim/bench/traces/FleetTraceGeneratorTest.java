package kvmsim.bench.traces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunRecorder;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.trace.Trace;
import org.junit.jupiter.api.Test;

/** The fleet trace does what the cluster tests and benchmark rely on: every call succeeds, every entity acts, flushes broadcast. */
class FleetTraceGeneratorTest {

    @Test
    void everyStepSucceedsAndEveryEntityPersists() {
        Trace t = FleetTraceGenerator.generate(20, 4, 4, 10);
        RunRecorder rec = new RunRecorder();
        RunReport r = Replay.run("fleet", t, kvmsim.domain.policy.Policies.defaults(), new ReferenceEngine(), false, rec);
        assertEquals(0, r.exitStatus());
        assertTrue(rec.steps().stream().allMatch(s -> s.errno() == null), "every call returns 0");
        Set<String> kinds = new TreeSet<>();
        rec.events().keySet().forEach(k -> kinds.add(k.substring(0, k.indexOf('/'))));
        assertEquals(Set.of("host", "vm", "vcpu", "slot"), kinds);
        assertEquals(2 + 20 + 20 * 4 + 20 * 4, rec.events().size(), "2 hosts, 20 VMs, 80 vCPUs, 80 memslots");
        long flushes = rec.events().values().stream().flatMap(java.util.List::stream)
                .filter(e -> e.event().getClass().getSimpleName().equals("RemoteTlbFlushRequested")).count();
        assertEquals(40, flushes, "two remote TLB flushes per VM: dirty logging starts, the log is read");
    }
}
