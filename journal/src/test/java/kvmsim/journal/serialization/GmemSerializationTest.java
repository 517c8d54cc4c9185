package kvmsim.journal.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Event;
import kvmsim.domain.host.Folio;
import kvmsim.domain.host.GmemInode;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.host.HostState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.policy.DirectMapPolicy;
import kvmsim.domain.vm.Gpc;
import kvmsim.domain.vm.MemoryAttributes;
import kvmsim.domain.vm.VmEvent;
import kvmsim.domain.vm.VmState;
import kvmsim.journal.testing.CborRoundTrip;
import org.junit.jupiter.api.Test;

/** The guest_memfd and gfn_to_pfn cache state and events survive Jackson CBOR as the journal writes them. */
class GmemSerializationTest {

    private static <T> T roundTrip(T value, Class<? super T> as) throws Exception {
        return CborRoundTrip.of(value, as);
    }

    @Test
    void folioEventsAndCommandsRoundTrip() throws Exception {
        for (Event e : List.of(new HostEvent.GmemCreated("g0", "vm0", 0x10000, 4),
                new HostEvent.GmemFolioAllocated("g0", 3, 0x40003), new HostEvent.FolioLocked(1),
                new HostEvent.FolioUnlocked(1), new HostEvent.DirectMapZapped(1), new HostEvent.DirectMapRestored(1),
                new HostEvent.FolioPrivateChanged(1, true), new HostEvent.FolioMapCountSet(1, 2),
                new HostEvent.KernelAccessedFolio(1, false, "gpc"), new VmEvent.MemoryAttributesSet(0, 16, true),
                new VmEvent.GpcActivated("c", 32), new VmEvent.GpcRefreshed("c", 0x5000, 3, 0x7f0000005000L, 7, true),
                new VmEvent.GpcRefreshFailed("c", -1, 3, -1), new VmEvent.GpcInvalidated(List.of("a", "b")),
                new VmEvent.GpcDeactivated("c"))) {
            assertEquals(e, roundTrip(e, Event.class));
        }
        HostCommand c = new HostCommand.GpcMapFolio(0x40000, DirectMapPolicy.EXCLUSIVE);
        assertEquals(c, roundTrip(c, kvmsim.domain.entity.EntityCommand.class));
    }

    @Test
    void hostAndVmStateWithGuestMemfdRoundTrip() throws Exception {
        HostState h = HostState.initial("host0");
        HostState host = new HostState("host0", true, Arch.X86_64, HostFeatures.defaults(Arch.X86_64), List.of(), false,
                -1, 0, Map.of(), Map.of("g0", new GmemInode("vm0", 0x10000, 4, Map.of(2L, 0x40000L))),
                Map.of(0x40000L, new Folio("g0", 2, false, false, true, 0)), null, List.of("vm0"));
        assertEquals(host, roundTrip(host, EntityState.class));
        assertEquals(h, roundTrip(h, EntityState.class));
        VmState vm = new VmState("vm0", true, Arch.X86_64, "KVM_X86_SW_PROTECTED_VM", "host0", false, false, true, true,
                false, 0, List.of(0L), Map.of(0L, new SlotGeometry(0, 0, 16, 0x7f0000000000L, 4, "g0", 0x1000)),
                java.util.Set.of(), 0, null, 2, MemoryAttributes.NONE.with(0, 16, true),
                Map.of("c", new Gpc(true, true, 0x5000, 32, 2, 0x7f0000005000L, 0x40000, true)),
                new VmState.VcpuLimits(1024, 4096, 4096), 16384, true);
        assertEquals(vm, roundTrip(vm, EntityState.class));
    }
}
