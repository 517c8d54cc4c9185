package kvmsim.bench.traces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostState;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.TraceSource;
import kvmsim.domain.vcpu.VcpuState;
import org.junit.jupiter.api.Test;

/** The scaling benchmark's guest writes each page once: the slot, the host and the TLB gain one entry a write. */
class DistinctPagesTraceGeneratorTest {

    @Test
    void everyWriteFaultsInANewPageOnX86() {
        TraceSource t = DistinctPagesTraceGenerator.generate(Arch.X86_64, 300);
        ReferenceEngine engine = new ReferenceEngine();
        RunReport r = Replay.run("pages", t, Policies.defaults(), engine, false);
        assertEquals(0, r.exitStatus());
        assertEquals(305, r.stepCount());
        assertEquals(305, t.stepCount());
        MemslotState slot = (MemslotState) engine.state(EntityId.slot("vm0", 0));
        assertEquals(300, slot.sptes().size());
        assertEquals(300, ((HostState) engine.state(EntityId.host("host0"))).pages().size());
        assertEquals(300, ((VcpuState) engine.state(EntityId.vcpu("vm0", 0))).tlb().size());
    }

    @Test
    void onArm64EveryWriteMapsANewStage2Leaf() {
        ReferenceEngine engine = new ReferenceEngine();
        RunReport r = Replay.run("pages", DistinctPagesTraceGenerator.generate(Arch.ARM64, 200), Policies.defaults(),
                engine, false);
        assertEquals(0, r.exitStatus());
        assertEquals(200, ((MemslotState) engine.state(EntityId.slot("vm0", 0))).stage2().size());
    }

    @Test
    void stepsAreMadeAsTheyAreReadAndTheSameEachPass() {
        TraceSource t = DistinctPagesTraceGenerator.generate(Arch.X86_64, 1_000_000);
        List<Step> first = new ArrayList<>();
        for (Step s : t.steps()) {
            if (first.size() == 8) {
                break;
            }
            first.add(s);
        }
        List<Step> again = new ArrayList<>();
        t.steps().forEach(s -> {
            if (again.size() < 8) {
                again.add(s);
            }
        });
        assertEquals(first, again);
        assertEquals(1_000_005, t.stepCount());
        assertEquals(new Step.GuestAccess(first.get(7).meta(), "vm0", 0, kvmsim.domain.vcpu.GuestAccessKind.WRITE,
                2 * 4096L), first.get(7));
        assertThrows(IllegalArgumentException.class, () -> DistinctPagesTraceGenerator.generate(Arch.X86_64, 0));
    }
}
