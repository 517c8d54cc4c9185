package kvmsim.domain.kernel.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmEvent;
import org.junit.jupiter.api.Test;

/** kvm_flush_remote_tlbs() as a broadcast: request, one answer per vCPU, completion, in that order. */
class RemoteTlbFlushTest {

    @Test
    void theFlushIsRequestedAnsweredByEveryVcpuAndCompletedInOrder() {
        X86Run t = new X86Run(true).vcpus(3).slot(0, 0, 0, 0x10000).run(0).run(2).write(0, 0x1000);
        t.replay("unconditional");
        Reply r = t.engine().send(99, EntityId.vm("vm0"), new VmCommand.FlushRemoteTlbs("test"));
        List<String> trail = new ArrayList<>();
        for (Emitted e : r.trail()) {
            trail.add(e.entity().path() + " " + e.recorded().event().getClass().getSimpleName());
        }
        assertEquals(List.of("vm/vm0 RemoteTlbFlushRequested", "vcpu/vm0/0 TlbFlushed", "vcpu/vm0/1 TlbFlushDeferred",
                "vcpu/vm0/2 TlbFlushed", "vm/vm0 RemoteTlbFlushCompleted"), trail);
        assertEquals(new VmEvent.RemoteTlbFlushCompleted(1, 2, 1), r.trail().get(4).recorded().event());
        assertNull(t.engine().state(EntityId.vm("vm0")).awaiting(), "nothing outstanding once the ioctl returns");
        assertTrue(r.trail().stream().allMatch(e -> e.recorded().line() == 99));
    }

    @Test
    void aVcpuThatNeverRanFlushesWhenItFirstEntersTheGuest() {
        X86Run t = new X86Run(true).vcpus(2).slot(0, 0, 0, 0x10000).run(0).write(0, 0x1000).slot(0, 1, 0, 0x10000);
        t.run(1);
        X86Run.Replayed r = t.replay("unconditional");
        List<Object> v1 = X86Run.eventsOf(r, "vcpu/vm0/1");
        int deferred = indexOf(v1, VcpuEvent.TlbFlushDeferred.class);
        int flushed = indexOf(v1, VcpuEvent.TlbFlushed.class);
        int entered = indexOf(v1, VcpuEvent.VcpuEnteredGuest.class);
        assertTrue(deferred >= 0 && deferred < flushed && flushed < entered, v1.toString());
        assertFalse(((VcpuState) t.engine().state(EntityId.vcpu("vm0", 1))).flushPending());
    }

    // a broadcast round that timed out asks again: the vCPU acts once and answers the same both times
    @Test
    void aRepeatedRequestIsAnsweredAsBeforeWithoutActing() {
        X86Run t = new X86Run(true).vcpus(1).run(0);
        t.replay("unconditional");
        EntityId v = EntityId.vcpu("vm0", 0);
        var first = t.engine().send(1, v, new VcpuCommand.TlbFlushRequest(7));
        assertEquals(1, first.events().size());
        var after = t.engine().state(v);
        var repeat = t.engine().send(1, v, new VcpuCommand.TlbFlushRequest(7));
        assertEquals(first.events(), repeat.events(), "the same answer");
        assertEquals(after, t.engine().state(v), "nothing new applied");
        assertTrue(t.engine().send(3, v, new VcpuCommand.TlbFlushRequest(6)).events().isEmpty(),
                "an older request than the last answered has nothing to say");
    }

    @Test
    void manyVcpusAllAcknowledge() {
        X86Run t = new X86Run(true).vcpus(64).slot(0, 0, 0, 0x10000);
        for (int i = 0; i < 64; i += 2) {
            t.run(i);
        }
        t.replay("unconditional");
        Reply r = t.engine().send(1, EntityId.vm("vm0"), new VmCommand.FlushRemoteTlbs("test"));
        assertEquals(new VmEvent.RemoteTlbFlushCompleted(1, 32, 32), r.events().get(1).event());
        assertEquals(66, r.trail().size());
    }

    private static int indexOf(List<Object> events, Class<?> type) {
        for (int i = 0; i < events.size(); i++) {
            if (type.isInstance(events.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
