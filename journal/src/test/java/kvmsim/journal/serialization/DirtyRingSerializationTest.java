package kvmsim.journal.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Event;
import kvmsim.domain.memslot.MemslotChange;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vcpu.DirtyRing;
import kvmsim.domain.vcpu.DirtyRing.DirtyGfn;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmEvent;
import kvmsim.journal.testing.CborRoundTrip;
import org.junit.jupiter.api.Test;

/**
 * The dirty ring's commands, events and vCPU state survive Jackson CBOR as the journal and the
 * cluster write them; in particular the records that have a second constructor keep their fields.
 */
class DirtyRingSerializationTest {

    private static <T> T roundTrip(T value, Class<? super T> as) throws Exception {
        return CborRoundTrip.of(value, as);
    }

    @Test
    void commandsRoundTripWithEveryField() throws Exception {
        for (EntityCommand c : List.of(new VcpuCommand.Create(4096), new VcpuCommand.Create(),
                new VcpuCommand.DirtyRingPush(0x10001, 7), new VcpuCommand.DirtyRingCheckRequest(),
                new VcpuCommand.HarvestDirtyRing(-1), new VcpuCommand.ResetDirtyRing(),
                new VmCommand.EnableDirtyLogRing(65536, true),
                new MemslotCommand.CommitChange(MemslotChange.KVM_MR_CREATE, new SlotGeometry(0, 0, 16, 0x1000, 1),
                        true, false, false),
                new MemslotCommand.EnableLogDirtyPtMasked(64, 0x8000_0000_0000_0001L))) {
            assertEquals(c, roundTrip(c, EntityCommand.class));
        }
    }

    @Test
    void eventsAndStateRoundTrip() throws Exception {
        DirtyGfn g = new DirtyGfn(3, 0x10001, 7);
        for (Event e : List.of(new VcpuEvent.DirtyRingAllocated(4096), new VcpuEvent.DirtyRingPushed(1, 2),
                new VcpuEvent.DirtyRingFullExit(), new VcpuEvent.DirtyGfnsHarvested(List.of(g)),
                new VcpuEvent.DirtyRingReset(List.of(g, g)), new VmEvent.DirtyRingEnabled(4096, false),
                new MemslotEvent.GfnsWriteProtected(List.of(2L, 3L), List.of(3L)))) {
            assertEquals(e, roundTrip(e, Event.class));
        }
        VcpuState v = new VcpuState("vm0", 1, true, false, 0, 0, true, true, Map.of(), 0, false, null,
                new DirtyRing(256, 192, 5, 2, 4, Map.of(2L, g, 3L, new DirtyGfn(1, 0, 9))));
        assertEquals(v, roundTrip(v, EntityState.class));
    }
}
