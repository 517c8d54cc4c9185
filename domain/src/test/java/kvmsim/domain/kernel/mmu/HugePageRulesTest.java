package kvmsim.domain.kernel.mmu;

import static kvmsim.domain.testing.X86Steps.HVA;
import static kvmsim.domain.testing.X86Steps.LOG;
import static kvmsim.domain.testing.X86Steps.PRIVATE;
import static kvmsim.domain.testing.X86Steps.attributes;
import static kvmsim.domain.testing.X86Steps.clearDirtyLog;
import static kvmsim.domain.testing.X86Steps.clearYoung;
import static kvmsim.domain.testing.X86Steps.flushedAtLastStep;
import static kvmsim.domain.testing.X86Steps.invalidate;
import static kvmsim.domain.testing.X86Steps.manualProtect;
import static kvmsim.domain.testing.X86Steps.read;
import static kvmsim.domain.testing.X86Steps.run;
import static kvmsim.domain.testing.X86Steps.slot;
import static kvmsim.domain.testing.X86Steps.slotId;
import static kvmsim.domain.testing.X86Steps.vcpu;
import static kvmsim.domain.testing.X86Steps.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.PageLevel;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.memslot.MemslotEvent.*;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.Spte;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.trace.Step;
import org.junit.jupiter.api.Test;

/**
 * Huge pages on a TDP host (arch/x86/kvm/mmu/mmu.c, tdp_mmu.c, x86.c): the level a fault maps at
 * (kvm_mmu_hugepage_adjust(), lpage_info, host_pfn_mapping_level()), what starting dirty logging does
 * to huge SPTEs with and without eager_page_split and KVM_DIRTY_LOG_INITIALLY_SET, the lazy split of
 * KVM_CLEAR_DIRTY_LOG, and kvm_mmu_recover_huge_pages() when logging stops.
 */
class HugePageRulesTest {

    private static final long M2 = PageLevel.PG_LEVEL_2M.bytes();
    private static final long FRAME = PageLevel.PG_LEVEL_2M.pages();
    private static final Spte HUGE_W = Spte.make(true, true, PageLevel.PG_LEVEL_2M);

    /** A default VM on a TDP host with A/D bits as given and eager_page_split as given. */
    private static StepsSpec vm(boolean adBits, boolean eagerSplit, String type) {
        HostFeatures f = HostFeatures.defaults(Arch.X86_64).with(HostFeature.AD_BITS, adBits)
                .with(HostFeature.EAGER_PAGE_SPLIT, eagerSplit);
        return new StepsSpec().step(m -> new Step.HostDecl(m, "host0", Arch.X86_64, f, false))
                .step(m -> new Step.CreateVm(m, "vm0", "host0", Arch.X86_64, type));
    }

    private static StepsSpec vm(boolean eagerSplit) {
        return vm(true, eagerSplit, "KVM_X86_DEFAULT_VM");
    }

    /** The VMM's guest RAM: [HVA, HVA + length) backed by pages of {@code size}. */
    private static StepsSpec backed(StepsSpec s, long length, PageLevel size) {
        return s.step(m -> new Step.Mmap(m, "host0", HVA, length, false, false, size));
    }

    /** 4 MiB of 2M pages, slot 0 over all of it at gpa 0 with {@code flags}, vCPU 0 running. */
    private static StepsSpec running(StepsSpec s, long flags) {
        return backed(s, 2 * M2, PageLevel.PG_LEVEL_2M).step(slot(0, flags, 0, 2 * M2)).step(vcpu(0)).step(run(0));
    }

    private static MemslotState slot0(StepsSpec s) {
        return (MemslotState) s.state(slotId(0));
    }

    private static List<Object> slotEvents(StepsSpec s) {
        return s.eventsOfLastStep(slotId(0));
    }

    private static List<Long> gfns(long first, long count) {
        return LongStream.range(first, first + count).boxed().toList();
    }

    private static PageLevel level(StepsSpec s, long gfn) {
        return slot0(s).spte(gfn).level();
    }

    // ---- kvm_mmu_hugepage_adjust() ----

    @Test
    void aFaultOnAnAlignedSlotBackedBy2MPagesMapsOneHugeSpteForTheWholeFrame() {
        StepsSpec s = running(vm(true), 0).step(write(0, 0x5000)).thenErrno(null);
        assertEquals(List.of(new SpteChanged(0, null, HUGE_W, false)), slotEvents(s));
        assertEquals(HUGE_W, slot0(s).spte(FRAME - 1), "the last gfn of the frame finds the same SPTE");
        assertNull(slot0(s).spte(FRAME), "the next frame is not mapped");
    }

    @Test
    void fourKBackingMaps4K() {
        StepsSpec s = backed(vm(true), 2 * M2, PageLevel.PG_LEVEL_4K).step(slot(0, 0, 0, 2 * M2)).step(vcpu(0))
                .step(run(0)).step(write(0, 0x5000)).thenErrno(null);
        assertEquals(PageLevel.PG_LEVEL_4K, level(s, 5));
        assertNull(slot0(s).spte(6));
    }

    // kvm_alloc_memslot_metadata(): the frame the slot's end cuts is disallowed, the whole ones are not
    @Test
    void aFrameTheSlotDoesNotWhollyCoverMaps4K() {
        StepsSpec s = backed(vm(true), 2 * M2, PageLevel.PG_LEVEL_2M).step(slot(0, 0, 0, M2 + M2 / 2))
                .step(vcpu(0)).step(run(0)).step(write(0, M2 + 0x1000)).step(write(0, 0x1000)).thenErrno(null);
        assertEquals(PageLevel.PG_LEVEL_4K, level(s, FRAME + 1));
        assertEquals(PageLevel.PG_LEVEL_2M, level(s, 1));
    }

    // (base_gfn ^ userspace_addr >> PAGE_SHIFT) & (KVM_PAGES_PER_HPAGE - 1): every frame disallowed
    @Test
    void aSlotWhoseGpaAndHvaAreNotCongruentMaps4KEverywhere() {
        StepsSpec s = backed(vm(true), 2 * M2, PageLevel.PG_LEVEL_2M)
                .step(m -> new Step.SetUserMemoryRegion(m, "vm0", 0, 0, M2 + 0x1000, M2, HVA))
                .step(vcpu(0)).step(run(0)).step(write(0, 2 * M2)).thenErrno(null);
        assertEquals(PageLevel.PG_LEVEL_4K, ((MemslotState) s.state(slotId(0))).spte(2 * FRAME).level());
    }

    // a 1G hugetlbfs VMA under a slot that is 2M- but not 1G-congruent: min(host 1G, lpage_info 2M) = 2M
    @Test
    void oneGBackingUnderASlotNotCongruentModulo1GMaps2M() {
        long g1 = PageLevel.PG_LEVEL_1G.bytes();
        StepsSpec s = backed(vm(true), g1, PageLevel.PG_LEVEL_1G)
                .step(m -> new Step.SetUserMemoryRegion(m, "vm0", 0, 0, M2, g1, HVA))
                .step(vcpu(0)).step(run(0)).step(read(0, M2 + 0x3000)).thenErrno(null);
        assertEquals(PageLevel.PG_LEVEL_2M, ((MemslotState) s.state(slotId(0))).spte(FRAME + 3).level());
    }

    @Test
    void aSlotThatLogsMaps4K() {
        StepsSpec s = running(vm(true), LOG).step(write(0, 0x5000)).thenErrno(null);
        assertEquals(PageLevel.PG_LEVEL_4K, level(s, 5));
        assertEquals(List.of(5L), slot0(s).dirtyBitmap().pages());
    }

    // KVM_LPAGE_MIXED_FLAG: a frame with a private page is not mapped huge for its shared pages either
    @Test
    void aFrameOfMixedMemoryAttributesMaps4K() {
        StepsSpec s = running(vm(true, true, "KVM_X86_SW_PROTECTED_VM"), 0).step(attributes(0x1000, 0x1000, PRIVATE))
                .step(write(0, 0x5000)).step(write(0, M2 + 0x5000)).thenErrno(null);
        assertEquals(PageLevel.PG_LEVEL_4K, level(s, 5));
        assertEquals(PageLevel.PG_LEVEL_2M, level(s, FRAME + 5), "the other frame is all shared");
    }

    // kvm_unmap_gfn_range(): a huge SPTE that the range touches goes whole
    @Test
    void anInvalidationOfOnePageZapsTheWholeHugeSpte() {
        StepsSpec s = running(vm(true), 0).step(write(0, 0x5000)).step(invalidate(0x5000, 0x1000)).thenErrno(null);
        assertEquals(List.of(new SptesZapped(gfns(0, FRAME))), slotEvents(s));
        assertTrue(flushedAtLastStep(s));
    }

    // ---- kvm_mmu_slot_apply_flags(): logging turned on ----

    @Test
    void enablingLoggingWithEagerSplitSplitsThenWriteProtectsEvery4KChild() {
        StepsSpec s = running(vm(true), 0).step(write(0, 0x5000)).step(slot(0, LOG, 0, 2 * M2)).thenErrno(null);
        List<Object> events = slotEvents(s);
        assertEquals(new HugeSptesSplit(List.of(0L)), events.get(2));
        assertEquals(new SlotWriteProtected(gfns(0, FRAME)), events.get(3));
        assertEquals(new Spte(false, true, true, false), slot0(s).spte(300));
        assertTrue(flushedAtLastStep(s));
    }

    @Test
    void enablingLoggingWithoutEagerSplitWriteProtectsTheHugeSpteAndAWriteMaps4K() {
        StepsSpec s = running(vm(false), 0).step(write(0, 0x5000)).step(slot(0, LOG, 0, 2 * M2)).thenErrno(null);
        assertEquals(new SlotWriteProtected(gfns(0, FRAME)), slotEvents(s).get(2));
        assertEquals(HUGE_W.writeProtected(), slot0(s).spte(300));
        // fast_page_fault() leaves a huge SPTE in a logging slot to the slow path, which splits it and maps 4K
        s.step(write(0, 0x7000)).thenErrno(null);
        Spte child = HUGE_W.writeProtected().split();
        assertEquals(List.of(new HugeSptesSplit(List.of(0L)), new SpteChanged(7, child, Spte.make(true), true)),
                slotEvents(s));
        assertEquals(child, slot0(s).spte(8));
        assertEquals(List.of(7L), slot0(s).dirtyBitmap().pages());
    }

    // ---- KVM_DIRTY_LOG_INITIALLY_SET: kvm_arch_mmu_enable_log_dirty_pt_masked() ----

    private static StepsSpec initiallySet(boolean eagerSplit) {
        return running(vm(eagerSplit).step(manualProtect(3)), 0).step(write(0, 0x5000)).step(slot(0, LOG, 0, 2 * M2));
    }

    @Test
    void underInitiallySetEnablingLoggingLeavesTheHugeSpteWritable() {
        StepsSpec s = initiallySet(true).thenErrno(null);
        assertEquals(List.of(new MemslotFlagsChanged(slot0(s).geometry()), new DirtyBitmapAllocated(true)),
                slotEvents(s));
        assertEquals(HUGE_W, slot0(s).spte(5));
        assertFalse(flushedAtLastStep(s));
    }

    @Test
    void underInitiallySetAClearWithEagerSplitSplitsTheFrameAndProtectsOnlyTheClearedWord() {
        StepsSpec s = initiallySet(true).step(clearDirtyLog(0, 0, 64, null)).thenErrno(null);
        assertEquals(List.of(new HugeSptesSplit(List.of(0L)), new DirtyLogCleared(gfns(0, 64), gfns(0, 64))),
                slotEvents(s));
        assertEquals(new Spte(false, true, true, false), slot0(s).spte(63));
        assertEquals(Spte.make(true), slot0(s).spte(64), "the rest of the frame stays writable, still dirty");
        assertTrue(flushedAtLastStep(s));
    }

    @Test
    void underInitiallySetAClearWithoutEagerSplitWriteProtectsTheWholeHugeSpte() {
        StepsSpec s = initiallySet(false).step(clearDirtyLog(0, 0, 64, null)).thenErrno(null);
        assertEquals(List.of(new HugeSptesWriteProtected(List.of(0L)), new DirtyLogCleared(gfns(0, 64), List.of())),
                slotEvents(s));
        assertEquals(HUGE_W.ptProtected(), slot0(s).spte(300), "W and MMU-writable cleared, still 2M");
        assertTrue(flushedAtLastStep(s));
        // the write that follows takes the slow path: a 4K writable SPTE, logged
        s.step(write(0, 0x7000)).thenErrno(null);
        assertEquals(PageLevel.PG_LEVEL_4K, level(s, 7));
        assertTrue(slot0(s).spte(7).writable());
        assertTrue(slot0(s).dirtyBitmap().isSet(7));
    }

    // ---- seed 004 with a 2M SPTE: the flush after write-protecting follows the policy ----

    private static StepsSpec seed004Huge() {
        return running(vm(false, true, "KVM_X86_DEFAULT_VM"), 0).step(write(0, 0x5000))
                .step(clearYoung(0x5000, 0x1000)).step(slot(0, LOG, 0, 2 * M2));
    }

    @Test
    void seed004WithA2MSpteIfModifiedSkipsTheFlushBecauseTheAccessTrackedHugeSpteHadNoW() {
        StepsSpec s = seed004Huge().policies(Map.of(Policies.DIRTY_LOG_FLUSH, "if-modified")).thenErrno(null);
        assertEquals(new SlotWriteProtected(List.of()), slotEvents(s).get(3));
        assertFalse(flushedAtLastStep(s));
        assertEquals(List.of("stale-writable-tlb"), s.run().violations().stream().map(v -> v.invariant()).toList(),
                "vCPU 0 still holds the writable 4K translation the write filled before aging");
    }

    @Test
    void seed004WithA2MSpteUnconditionalFlushesAndTheWriteIsLogged() {
        StepsSpec s = seed004Huge().thenErrno(null);
        assertEquals(List.of(new HugeSptesSplit(List.of(0L)), new SlotWriteProtected(List.of())),
                slotEvents(s).subList(2, 4));
        assertTrue(flushedAtLastStep(s));
        s.step(write(0, 0x5000));
        assertTrue(s.run().violations().isEmpty());
        assertEquals(List.of(5L), slot0(s).dirtyBitmap().pages());
    }

    // ---- kvm_mmu_slot_apply_flags(): logging turned off ----

    @Test
    void disablingLoggingRecoversTheHugeSpteFromItsFirstChildInPlaceAndFlushes() {
        StepsSpec s = running(vm(true), 0).step(write(0, 0x5000)).step(slot(0, LOG, 0, 2 * M2))
                .step(write(0, 0x9000)).step(slot(0, 0, 0, 2 * M2)).thenErrno(null);
        Spte first = new Spte(false, true, true, false); // gfn 0: split and write-protected
        assertEquals(List.of(new MemslotFlagsChanged(slot0(s).geometry()), new DirtyBitmapFreed(),
                new SpteChanged(0, first, first.huge(PageLevel.PG_LEVEL_2M), false)), slotEvents(s));
        assertEquals(PageLevel.PG_LEVEL_2M, level(s, 9), "the written page is under the huge SPTE again");
        assertNull(slot0(s).spte(FRAME), "a frame without SPTEs stays unmapped");
        assertTrue(flushedAtLastStep(s));
        // the huge SPTE is MMU-writable: a write makes it writable on the fast path, whole
        s.step(write(0, 0x9000)).thenErrno(null);
        assertEquals(HUGE_W, slot0(s).spte(300));
    }

    @Test
    void aFaultAtTheHugeLevelReplacesThe4KTableOfItsFrameAndFlushes() {
        // logging on: 4K SPTEs; one is zapped; logging off with nothing recoverable would leave the rest
        StepsSpec s = running(vm(true), LOG).step(write(0, 0x5000)).step(write(0, 0x6000))
                .step(invalidate(0x5000, 0x1000));
        List<Long> expected = new ArrayList<>(List.of(6L));
        assertEquals(expected, new ArrayList<>(((MemslotState) s.thenErrno(null).state(slotId(0))).sptes().keySet()));
        s.step(slot(0, 0, 0, 2 * M2)).thenErrno(null);
        assertEquals(PageLevel.PG_LEVEL_2M, level(s, 5), "recovered from gfn 6's SPTE");
    }
}
