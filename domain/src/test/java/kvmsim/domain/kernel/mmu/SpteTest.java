package kvmsim.domain.kernel.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.memslot.Spte;
import kvmsim.domain.vm.VmState;
import org.junit.jupiter.api.Test;

/** Every SPTE transition of spte.h / mmu.c that kvmsim models, and the bits it must keep. */
class SpteTest {

    private static VmState vm(boolean adBits) {
        return new VmState("vm0", true, Arch.X86_64, "KVM_X86_DEFAULT_VM", "host0", false, false, true, adBits, false,
                0, List.of(), Map.of(), Set.of(), 0, null, 0, kvmsim.domain.vm.MemoryAttributes.NONE, Map.of());
    }

    @Test
    void writableImpliesMmuWritableImpliesHostWritable() {
        assertThrows(IllegalArgumentException.class, () -> new Spte(true, false, true, false));
        assertThrows(IllegalArgumentException.class, () -> new Spte(false, true, false, false));
        assertThrows(IllegalArgumentException.class, () -> new Spte(true, true, true, true));
    }

    @Test
    void makeSpteIsWritableExactlyWhenTheHostMappingIs() {
        assertEquals(new Spte(true, true, true, false), Spte.make(true));
        assertEquals(new Spte(false, false, false, false), Spte.make(false));
    }

    @Test
    void accessTrackingDropsWritableButKeepsMmuAndHostWritable() {
        Spte tracked = Spte.make(true).markForAccessTrack();
        assertEquals(new Spte(false, true, true, true), tracked);
        assertFalse(tracked.allows(false), "an access-tracked SPTE is not even readable");
        // W is not among the saved bits: restoring gives a read-only SPTE
        assertEquals(new Spte(false, true, true, false), tracked.restoreAccTrack());
    }

    @Test
    void writeProtectKeepsMmuWritableSoAFastFaultMayRestoreW() {
        Spte wp = Spte.make(true).writeProtected();
        assertEquals(new Spte(false, true, true, false), wp);
        assertEquals(Spte.make(true), PageFault.fastPageFault(vm(true), wp, true));
    }

    @Test
    void fastPageFaultRestoresAnAccessTrackedSpteOnRead() {
        Spte tracked = Spte.make(true).markForAccessTrack();
        assertEquals(new Spte(false, true, true, false), PageFault.fastPageFault(vm(false), tracked, false));
    }

    @Test
    void fastPageFaultRestoresAndGrantsWriteOnAWriteToAnAccessTrackedSpte() {
        Spte tracked = Spte.make(true).markForAccessTrack();
        assertEquals(Spte.make(true), PageFault.fastPageFault(vm(false), tracked, true));
    }

    @Test
    void aWriteToAnSpteThatIsNotMmuWritableGoesToTheSlowPath() {
        assertNull(PageFault.fastPageFault(vm(true), Spte.make(false), true));
    }

    @Test
    void aMissingSpteAndAReadOfAPresentOneAreNotFastFaults() {
        assertNull(PageFault.fastPageFault(vm(false), null, true));
        assertNull(PageFault.fastPageFault(vm(true), Spte.make(false), false));
    }

    @Test
    void withAdBitsAReadCachesACleanTranslationThatAWriteMustWalkAgain() {
        assertFalse(PageFault.tlbEntry(vm(true), Spte.make(true), false).writable());
        assertTrue(PageFault.tlbEntry(vm(true), Spte.make(true), true).writable());
        assertTrue(PageFault.tlbEntry(vm(false), Spte.make(true), false).writable());
        assertFalse(PageFault.tlbEntry(vm(false), Spte.make(false), true).writable());
    }
}
