package kvmsim.domain.memslot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import kvmsim.domain.abi.PageLevel;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.memslot.MemslotCommand.*;
import kvmsim.domain.memslot.MemslotEvent.*;
import kvmsim.domain.testing.DeciderSpec;
import org.junit.jupiter.api.Test;

/**
 * Huge SPTEs as one memslot decides them (tdp_mmu.c, mmu.c): a huge make_spte() and the splits a
 * smaller fault makes on its way down, the zap of a whole huge SPTE, the INITIALLY_SET step of
 * kvm_arch_mmu_enable_log_dirty_pt_masked() (split or pt-protect per 64-page word), and
 * kvm_tdp_mmu_recover_huge_pages(). The slot starts at gfn 0x40000 (1G-aligned) and spans 1G.
 */
class MemslotHugeSpteRulesTest {

    private static final EntityId SLOT = EntityId.slot("vm0", 0);
    private static final long BASE = 0x40000;
    private static final long NPAGES = PageLevel.PG_LEVEL_1G.pages();
    private static final long FRAME = PageLevel.PG_LEVEL_2M.pages();
    private static final Spte W_2M = Spte.make(true, true, PageLevel.PG_LEVEL_2M);
    private static final Spte W_1G = Spte.make(true, true, PageLevel.PG_LEVEL_1G);
    private static final Spte W_4K = Spte.make(true);

    private static DeciderSpec slot(long flags, MemslotEvent... more) {
        MemslotEvent[] e = new MemslotEvent[more.length + (flags == 0 ? 1 : 2)];
        e[0] = new MemslotCreated(new SlotGeometry(0, BASE, NPAGES, 0x7f0000000000L, flags));
        int i = 1;
        if (flags != 0) {
            e[i++] = new DirtyBitmapAllocated(true);
        }
        System.arraycopy(more, 0, e, i, more.length);
        return DeciderSpec.given(SLOT, e);
    }

    private static List<Long> gfns(long first, long count) {
        return LongStream.range(first, first + count).boxed().toList();
    }

    private static MemslotState st(Object s) {
        return (MemslotState) s;
    }

    @Test
    void aHugeMakeSpteNamesItsFrameAndCoversEveryGfnOfIt() {
        MemslotState s = st(slot(0).when(new MakeSpte(BASE + FRAME + 7, true, true, PageLevel.PG_LEVEL_2M))
                .thenEvents(new SpteChanged(BASE + FRAME, null, W_2M, false)));
        assertEquals(W_2M, s.spte(BASE + 2 * FRAME - 1));
        assertNull(s.spte(BASE + 2 * FRAME));
    }

    // a huge SPTE is one PTE in the kernel's table and one entry in the slot's state, under its frame's
    // first gfn; a split leaves one entry per child (512 2M ones for a 1G SPTE), not one per 4K gfn
    @Test
    void aHugeSpteIsOneEntryAndASplitOneEntryPerChild() {
        MemslotState s = st(slot(0).when(new MakeSpte(BASE + 5, true, true, PageLevel.PG_LEVEL_1G))
                .thenEvents(new SpteChanged(BASE, null, W_1G, false)));
        assertEquals(Map.of(BASE, W_1G), s.sptes());
        assertEquals(W_1G, s.spte(BASE + NPAGES - 1));
        MemslotState split = st(slot(0, new SpteChanged(BASE, null, W_1G.writeProtected(), false))
                .when(new MakeSpte(BASE + FRAME + 3, true, true))
                .thenEvents(new HugeSptesSplit(List.of(BASE)), new HugeSptesSplit(List.of(BASE + FRAME)),
                        new SpteChanged(BASE + FRAME + 3, W_4K.writeProtected(), W_4K, false)));
        assertEquals(511 + 512, split.sptes().size(), "511 2M children and the 512 4K children of the other one");
        assertEquals(W_2M.writeProtected(), split.sptes().get(BASE + 2 * FRAME));
        assertNull(split.sptes().get(BASE + 2 * FRAME + 1), "a 2M child is one entry");
    }

    // a state stored one entry per 4K gfn of a huge SPTE (the form before) reads the same, and a change
    // of the frame leaves it in the compact form
    @Test
    void aStateStoredPer4KGfnReadsTheSameAndIsCompactedByAChangeOfTheFrame() {
        MemslotState compact = st(slot(0, new SpteChanged(BASE, null, W_2M, false)).state());
        java.util.Map<Long, Spte> per4K = new java.util.HashMap<>();
        gfns(BASE, FRAME).forEach(g -> per4K.put(g, W_2M));
        MemslotState old = compact.withSptes(per4K, null);
        for (long g : List.of(BASE, BASE + 7, BASE + FRAME - 1, BASE + FRAME)) {
            assertEquals(compact.spte(g), old.spte(g), "gfn " + g);
        }
        assertEquals(gfns(BASE, FRAME), old.mappedGfns(BASE, NPAGES), "each gfn once");
        MemslotState oldSplit = X86Sptes.split(old, List.of(BASE));
        assertEquals(X86Sptes.split(compact, List.of(BASE)).sptes(), oldSplit.sptes());
        MemslotState oldProtected = X86Sptes.ptProtected(old, List.of(BASE));
        assertEquals(Map.of(BASE, W_2M.ptProtected()), oldProtected.sptes());
        MemslotState tracked = X86Sptes.accessTracked(old, new SptesAccessTracked(gfns(BASE, FRAME)));
        assertEquals(W_2M.markForAccessTrack(), tracked.spte(BASE + 9));
        // a snapshot in that form is read compact (KvmEntity's snapshot adapter): equal to the journal folded now
        assertEquals(compact, old.compacted());
        assertSame(compact, compact.compacted(), "a compact state is left as it is");
    }

    // leaves never overlap: a 4K SPTE under a huge one comes only after a split (makeSpte)
    @Test
    void a4KSpteChangedUnderAHugeLeafIsRefused() {
        MemslotState s = st(slot(0, new SpteChanged(BASE, null, W_2M, false)).state());
        assertThrows(IllegalStateException.class, () -> X86Sptes.spteChanged(s, new SpteChanged(BASE + 3, W_2M, W_4K,
                false)));
    }

    // make_spte(): WARN_ON(level > PG_LEVEL_4K && (pte_access & ACC_WRITE_MASK) && kvm_slot_dirty_track_enabled())
    @Test
    void aWritableHugeSpteInALoggingSlotIsRefusedAsTheKernelWarns() {
        assertThrows(IllegalStateException.class,
                () -> slot(1).when(new MakeSpte(BASE, true, true, PageLevel.PG_LEVEL_2M)));
    }

    // kvm_tdp_mmu_map(): a 4K fault under a 1G SPTE splits it to 2M, then the 2M child it lands in to 4K
    @Test
    void a4KFaultUnderA1GSpteSplitsOneLevelAtATime() {
        Spte ro = W_1G.writeProtected();
        MemslotState s = st(slot(0, new SpteChanged(BASE, null, ro, false))
                .when(new MakeSpte(BASE + FRAME + 3, true, true))
                .thenEvents(new HugeSptesSplit(List.of(BASE)), new HugeSptesSplit(List.of(BASE + FRAME)),
                        new SpteChanged(BASE + FRAME + 3, W_4K.writeProtected(), W_4K, false)));
        assertEquals(ro.split(), s.spte(BASE + 7), "the other 2M children stay 2M");
        assertEquals(PageLevel.PG_LEVEL_2M, s.spte(BASE + 7).level());
        assertEquals(W_4K.writeProtected(), s.spte(BASE + FRAME + 4));
    }

    @Test
    void aZapOfOneGfnTakesTheWholeHugeSpte() {
        slot(0, new SpteChanged(BASE, null, W_2M, false)).when(new ZapGfnRange(BASE + 9, 1))
                .thenEvents(new SptesZapped(gfns(BASE, FRAME)));
    }

    // INITIALLY_SET without eager split: kvm_mmu_slot_gfn_write_protect(start) and, the word crossing into
    // the next 2M frame, (end); pt_protect clears MMU-writable; the 4K write-protect skips huge SPTEs
    @Test
    void aResetWordAcrossTwoFramesPtProtectsBothHugeSptesAndNo4KOne() {
        long offset = FRAME - 32; // slot-relative: 32 pages of frame 0, 32 of frame 1
        slot(1, new SpteChanged(BASE, null, W_2M.writeProtected(), false),
                new SpteChanged(BASE + FRAME, null, W_2M.writeProtected(), false))
                .when(new EnableLogDirtyPtMasked(offset, -1L, LazyHugeProtect.WRITE_PROTECT))
                .thenEvents(new HugeSptesWriteProtected(List.of(BASE, BASE + FRAME)),
                        new GfnsWriteProtected(gfns(BASE + offset, 64), List.of()));
    }

    // with eager split: only the 2M child of a 1G SPTE that the word overlaps goes down to 4K
    @Test
    void anInitiallySetClearWithEagerSplitSplitsA1GSpteOnlyAsFarAsTheWordNeeds() {
        Spte ro = W_1G.writeProtected(); // a 1G SPTE made before logging, write-protected by an earlier CLEAR
        MemslotState s = st(slot(1, new SpteChanged(BASE, null, ro, false))
                .when(new ClearDirtyLog(FRAME, 64, null, LazyHugeProtect.SPLIT))
                .thenEvents(new HugeSptesSplit(List.of(BASE)), new HugeSptesSplit(List.of(BASE + FRAME)),
                        new DirtyLogCleared(gfns(FRAME, 64), List.of())));
        assertEquals(PageLevel.PG_LEVEL_4K, s.spte(BASE + FRAME + 100).level());
        assertEquals(PageLevel.PG_LEVEL_2M, s.spte(BASE + 2 * FRAME).level());
    }

    // recover_huge_pages_range(): a frame mapped by 4K SPTEs whose max level allows 2M gets a 2M SPTE with
    // the bits of its first present leaf; one whose max level is 4K, and a frame without SPTEs, stay as they are
    @Test
    void recoveryMakesAllowedFramesHugeFromTheirFirstLeaf() {
        Spte tracked = W_4K.markForAccessTrack();
        MemslotState s = st(slot(0, new SpteChanged(BASE + 5, null, tracked, false),
                new SpteChanged(BASE + 9, null, W_4K, false), new SpteChanged(BASE + FRAME + 1, null, W_4K, false))
                .when(new RecoverHugePages(Map.of(BASE, PageLevel.PG_LEVEL_2M, BASE + FRAME, PageLevel.PG_LEVEL_4K)))
                .thenEvents(new SpteChanged(BASE, null, tracked.huge(PageLevel.PG_LEVEL_2M), false)));
        assertEquals(tracked.huge(PageLevel.PG_LEVEL_2M), s.spte(BASE + 9));
        assertEquals(PageLevel.PG_LEVEL_4K, s.spte(BASE + FRAME + 1).level());
        assertNull(s.spte(BASE + FRAME + 2));
    }

    @Test
    void recoveryAt1GComesBeforeThe2MFramesInside() {
        slot(0, new SpteChanged(BASE + 3, null, W_4K, false))
                .when(new RecoverHugePages(Map.of(BASE, PageLevel.PG_LEVEL_1G)))
                .thenEvents(new SpteChanged(BASE, null, W_1G, false));
    }
}
