package kvmsim.domain.memslot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import kvmsim.domain.vcpu.TlbEntry;
import org.junit.jupiter.api.Test;

/** Every SPTE transition of spte.h / mmu.c that kvmsim models, and the bits it must keep. */
class SpteTest {

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
        assertEquals(Spte.make(true), wp.fastPageFault(true, true));
    }

    @Test
    void fastPageFaultRestoresAnAccessTrackedSpteOnRead() {
        Spte tracked = Spte.make(true).markForAccessTrack();
        assertEquals(new Spte(false, true, true, false), tracked.fastPageFault(false, false));
    }

    @Test
    void fastPageFaultRestoresAndGrantsWriteOnAWriteToAnAccessTrackedSpte() {
        Spte tracked = Spte.make(true).markForAccessTrack();
        assertEquals(Spte.make(true), tracked.fastPageFault(true, false));
    }

    @Test
    void aWriteToAnSpteThatIsNotMmuWritableGoesToTheSlowPath() {
        assertNull((Spte.make(false)).fastPageFault(true, true));
    }

    @Test
    void aMissingSpteAndAReadOfAPresentOneAreNotFastFaults() {
        MemslotState slot = MemslotDecider.evolve(MemslotState.initial("vm0", 0),
                new MemslotEvent.MemslotCreated(new SlotGeometry(0, 0, 16, 0x7f0000000000L, 0)));
        assertTrue(MemslotDecider.decide(slot, new MemslotCommand.FastPageFault(3, true, false)).events().isEmpty(),
                "no SPTE: the slow path makes one");
        assertNull((Spte.make(false)).fastPageFault(false, true));
    }

    @Test
    void withAdBitsAReadCachesACleanTranslationThatAWriteMustWalkAgain() {
        assertFalse(TlbEntry.filled(Spte.make(true).writable(), false, true).writable());
        assertTrue(TlbEntry.filled(Spte.make(true).writable(), true, true).writable());
        assertTrue(TlbEntry.filled(Spte.make(true).writable(), false, false).writable());
        assertFalse(TlbEntry.filled(Spte.make(false).writable(), true, false).writable());
    }

    // fast_page_fault(): "Do not fix write-permission on the large spte when dirty logging is enabled"
    @Test
    void theFastPathLeavesAWriteToAHugeSpteInALoggingSlotToTheSlowPath() {
        Spte huge = Spte.make(true, true, kvmsim.domain.abi.PageLevel.PG_LEVEL_2M).writeProtected();
        org.junit.jupiter.api.Assertions.assertNull(huge.fastPageFault(true, true, true));
        org.junit.jupiter.api.Assertions.assertEquals(huge.madeWritable(), huge.fastPageFault(true, true, false));
        Spte tracked = Spte.make(true, true, kvmsim.domain.abi.PageLevel.PG_LEVEL_2M).markForAccessTrack();
        org.junit.jupiter.api.Assertions.assertEquals(tracked.restoreAccTrack(), tracked.fastPageFault(false, false, true),
                "a read still restores an access-tracked huge SPTE");
    }

    @Test
    void splittingKeepsTheBitsOneLevelDownAndPtProtectClearsMmuWritable() {
        Spte g1 = Spte.make(true, true, kvmsim.domain.abi.PageLevel.PG_LEVEL_1G);
        org.junit.jupiter.api.Assertions.assertEquals(Spte.make(true, true, kvmsim.domain.abi.PageLevel.PG_LEVEL_2M), g1.split());
        org.junit.jupiter.api.Assertions.assertEquals(Spte.make(true), g1.split().split());
        org.junit.jupiter.api.Assertions.assertFalse(g1.ptProtected().mmuWritable());
        org.junit.jupiter.api.Assertions.assertTrue(g1.ptProtected().hostWritable());
    }
}
