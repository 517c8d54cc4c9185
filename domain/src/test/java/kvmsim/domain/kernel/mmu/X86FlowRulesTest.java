package kvmsim.domain.kernel.mmu;

import static kvmsim.domain.testing.X86Steps.HOST;
import static kvmsim.domain.testing.X86Steps.HVA;
import static kvmsim.domain.testing.X86Steps.LOG;
import static kvmsim.domain.testing.X86Steps.READONLY;
import static kvmsim.domain.testing.X86Steps.clearDirtyLog;
import static kvmsim.domain.testing.X86Steps.clearYoung;
import static kvmsim.domain.testing.X86Steps.flushedAtLastStep;
import static kvmsim.domain.testing.X86Steps.getDirtyLog;
import static kvmsim.domain.testing.X86Steps.invalidate;
import static kvmsim.domain.testing.X86Steps.kvmWriteGuest;
import static kvmsim.domain.testing.X86Steps.manualProtect;
import static kvmsim.domain.testing.X86Steps.mmap;
import static kvmsim.domain.testing.X86Steps.read;
import static kvmsim.domain.testing.X86Steps.run;
import static kvmsim.domain.testing.X86Steps.slot;
import static kvmsim.domain.testing.X86Steps.slotId;
import static kvmsim.domain.testing.X86Steps.vcpu;
import static kvmsim.domain.testing.X86Steps.vcpuId;
import static kvmsim.domain.testing.X86Steps.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.memslot.MemslotEvent.*;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.memslot.Spte;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.testing.X86Steps;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuEvent.*;
import org.junit.jupiter.api.Test;

/**
 * x86 flows across the VM, its slots, its vCPUs and the host, one kernel rule each, at the level
 * of the step that runs it: kvm_mmu_slot_apply_flags() (seed 004, b64d740), the flushes of GET and
 * CLEAR_DIRTY_LOG, the MMU notifiers, and the paths of a guest access through kvm_mmu_page_fault().
 * DirtyLogTest replays whole scenarios; these look at what one line persisted.
 */
class X86FlowRulesTest {

    private static final long SLOT_SIZE = 0x10000;
    private static final Spte W = Spte.make(true);

    private static SlotGeometry geometry(long flags) {
        return new SlotGeometry(0, 0, SLOT_SIZE >>> 12, HVA, flags);
    }

    private static List<Object> slotEvents(StepsSpec s) {
        return s.eventsOfLastStep(slotId(0));
    }

    private static MemslotState slot0(StepsSpec s) {
        return (MemslotState) s.state(slotId(0));
    }

    /** Slot 0 (16 pages at gpa 0) with flags, and vCPU 0 inside KVM_RUN. */
    private static StepsSpec running(StepsSpec vm, long flags) {
        return vm.step(slot(0, flags, 0, SLOT_SIZE)).step(vcpu(0)).step(run(0));
    }

    private static long hvaPage(long gpa) {
        return (HVA + gpa) >>> 12;
    }

    // ---- kvm_set_memslot() ----

    // kvm_invalidate_memslot() runs before kvm_prepare_memory_region(): a move that x86 then refuses
    // (its new range ends above kvm_mmu_max_gfn()) finds the old slot's SPTEs already gone
    @Test
    void aMoveRefusedByTheArchPrepareHasAlreadyZappedTheOldSlotsSptes() {
        long tooHigh = (X86Mmu.MAX_GFN + 1 - (SLOT_SIZE >>> 12) + 1) << 12;
        StepsSpec s = running(X86Steps.vm(true), 0).step(write(0, 0x1000))
                .step(m -> new Step.SetUserMemoryRegion(m, "vm0", 0, 0, tooHigh, SLOT_SIZE, HVA)) // same hva: a move
                .thenErrno(Errno.EINVAL);
        assertEquals(0, slot0(s).geometry().baseGfn(), "the slot stays where it was");
        assertNull(slot0(s).spte(1), "its SPTE went with the invalidation");
    }

    // ---- kvm_mmu_slot_apply_flags() ----

    @Test
    void enablingLoggingWriteProtectsAndFlushesUnconditionallyEvenWhenNoSpteHadW() {
        StepsSpec s = running(X86Steps.vm(true), 0).step(slot(0, LOG, 0, SLOT_SIZE)).thenErrno(null);
        assertEquals(List.of(new MemslotFlagsChanged(geometry(LOG)), new DirtyBitmapAllocated(false),
                new SlotWriteProtected(List.of())), slotEvents(s));
        assertTrue(flushedAtLastStep(s));
    }

    // before b64d740: flush only if an SPTE lost W
    @Test
    void underDirtyLogFlushIfModifiedNothingThatLostWMeansNoFlush() {
        StepsSpec s = running(X86Steps.vm(true), 0).step(slot(0, LOG, 0, SLOT_SIZE))
                .policies(Map.of(Policies.DIRTY_LOG_FLUSH, "if-modified")).thenErrno(null);
        assertEquals(new SlotWriteProtected(List.of()), slotEvents(s).get(2));
        assertFalse(flushedAtLastStep(s));
    }

    // "Initially-all-set does not require write protecting any page, because they're all assumed to be dirty"
    @Test
    void underInitiallySetEnablingLoggingNeitherWriteProtectsNorFlushes() {
        StepsSpec s = running(X86Steps.vm(true).step(manualProtect(3)), 0).step(write(0, 0x1000))
                .step(slot(0, LOG, 0, SLOT_SIZE)).thenErrno(null);
        assertEquals(List.of(new MemslotFlagsChanged(geometry(LOG)), new DirtyBitmapAllocated(true)), slotEvents(s));
        assertFalse(flushedAtLastStep(s));
        assertEquals(W, slot0(s).spte(1));
    }

    // a READONLY slot can be neither dirtied nor made writable: it gets a bitmap, nothing else
    @Test
    void loggingOnAReadonlySlotAllocatesABitmapButNeitherWriteProtectsNorFlushes() {
        StepsSpec s = running(X86Steps.vm(true), READONLY).step(read(0, 0x1000))
                .step(slot(0, READONLY | LOG, 0, SLOT_SIZE)).thenErrno(null);
        assertEquals(List.of(new MemslotFlagsChanged(geometry(READONLY | LOG)), new DirtyBitmapAllocated(false)),
                slotEvents(s));
        assertFalse(flushedAtLastStep(s));
    }

    @Test
    void turningLoggingOffFreesTheBitmapWithoutWriteProtectOrFlush() {
        StepsSpec s = running(X86Steps.vm(true), LOG).step(write(0, 0x1000)).step(slot(0, 0, 0, SLOT_SIZE))
                .thenErrno(null);
        assertEquals(List.of(new MemslotFlagsChanged(geometry(0)), new DirtyBitmapFreed()), slotEvents(s));
        assertFalse(flushedAtLastStep(s));
    }

    // CREATE: no SPTE can exist yet, so kvm_mmu_slot_apply_flags() returns early
    @Test
    void creatingALoggingSlotWriteProtectsNothingAndDoesNotFlush() {
        StepsSpec s = X86Steps.vm(true).step(vcpu(0)).step(slot(0, LOG, 0, SLOT_SIZE)).thenErrno(null);
        assertEquals(List.of(new MemslotCreated(geometry(LOG)), new DirtyBitmapAllocated(false)), slotEvents(s));
        assertFalse(flushedAtLastStep(s));
    }

    // ---- kvm_get_dirty_log_protect() and kvm_clear_dirty_log_protect(): the flush ----

    @Test
    void getDirtyLogFlushesOnlyWhenItClearedSomeBits() {
        StepsSpec nothing = running(X86Steps.vm(true), LOG).step(getDirtyLog(0)).thenErrno(null);
        assertEquals(List.of(new DirtyLogReported(List.of(), true, List.of())), slotEvents(nothing));
        assertFalse(flushedAtLastStep(nothing));
        // KVM's own write left no SPTE to re-protect: a set word is enough to flush
        StepsSpec kvmWrote = running(X86Steps.vm(true), LOG).step(kvmWriteGuest(0x3000, 8)).step(getDirtyLog(0))
                .thenErrno(null);
        assertEquals(List.of(new DirtyLogReported(List.of(3L), true, List.of())), slotEvents(kvmWrote));
        assertTrue(flushedAtLastStep(kvmWrote));
    }

    @Test
    void underManualProtectGetNeitherClearsNorFlushes() {
        StepsSpec s = running(X86Steps.vm(true).step(manualProtect(1)), LOG).step(write(0, 0x3000))
                .step(getDirtyLog(0)).thenErrno(null);
        assertEquals(List.of(new DirtyLogReported(List.of(3L), false, List.of())), slotEvents(s));
        assertFalse(flushedAtLastStep(s));
        assertEquals(W, slot0(s).spte(3));
    }

    @Test
    void clearDirtyLogFlushesOnlyWhenItClearedABit() {
        StepsSpec s = running(X86Steps.vm(true).step(manualProtect(1)), LOG).step(write(0, 0x3000));
        s.step(clearDirtyLog(0, 0, 16, List.of(5L))).thenErrno(null); // page 5 was never dirty
        assertEquals(List.of(), slotEvents(s));
        assertFalse(flushedAtLastStep(s));
        s.step(clearDirtyLog(0, 0, 16, List.of(3L))).thenErrno(null);
        assertEquals(List.of(new DirtyLogCleared(List.of(3L), List.of(3L))), slotEvents(s));
        assertTrue(flushedAtLastStep(s));
    }

    // first_page & 63 is checked before the memslot lookup; a first_page at the end of a slot that is
    // not a whole number of words breaks it (FINDINGS.md item 2)
    @Test
    void clearDirtyLogChecksFirstPageAlignmentBeforeLookingForTheSlot() {
        running(X86Steps.vm(true), 0).step(clearDirtyLog(0, 1, 15, null)).thenErrno(Errno.EINVAL);
        running(X86Steps.vm(true), 0).step(clearDirtyLog(0, 0, 16, null)).thenErrno(Errno.ENOENT);
        running(X86Steps.vm(true), LOG).step(clearDirtyLog(0, 16, 0, null)).thenErrno(Errno.EINVAL);
        running(X86Steps.vm(true), LOG).step(clearDirtyLog(0, 0, 0, null)).thenErrno(null);
        running(X86Steps.vm(true), 0).step(clearDirtyLog(32764, 0, 16, null)).thenErrno(Errno.EINVAL);
    }

    // ---- MMU notifiers ----

    // kvm_mmu_notifier_clear_young() -> kvm_handle_hva_range_no_flush(): never a TLB flush
    @Test
    void clearYoungAccessTracksWithoutAdBitsAndNeverFlushes() {
        StepsSpec noAd = running(X86Steps.vm(false), 0).step(write(0, 0x1000)).step(clearYoung(0, SLOT_SIZE))
                .thenErrno(null);
        assertEquals(List.of(new SptesAccessTracked(List.of(1L))), slotEvents(noAd));
        assertFalse(flushedAtLastStep(noAd));
        StepsSpec ad = running(X86Steps.vm(true), 0).step(write(0, 0x1000)).step(clearYoung(0, SLOT_SIZE))
                .thenErrno(null);
        assertEquals(List.of(), slotEvents(ad));
        assertFalse(flushedAtLastStep(ad));
    }

    // kvm_mmu_notifier_invalidate_range_start() -> kvm_unmap_gfn_range() with flush_on_ret
    @Test
    void invalidateZapsTheRangeAndFlushesOnlyIfSomethingWasZapped() {
        StepsSpec miss = running(X86Steps.vm(true), 0).step(write(0, 0x1000)).step(invalidate(0x2000, 0x2000))
                .thenErrno(null);
        assertEquals(List.of(), slotEvents(miss));
        assertFalse(flushedAtLastStep(miss));
        StepsSpec hit = running(X86Steps.vm(true), 0).step(write(0, 0x1000)).step(write(0, 0x3000))
                .step(invalidate(0, 0x2000)).thenErrno(null);
        assertEquals(List.of(new SptesZapped(List.of(1L))), slotEvents(hit));
        assertTrue(flushedAtLastStep(hit));
        assertEquals(W, slot0(hit).spte(3));
    }

    // ---- a guest access: TLB, walk, kvm_mmu_page_fault() ----

    @Test
    void anAccessOutsideEverySlotIsMmioForUserspace() {
        StepsSpec s = running(X86Steps.vm(true), 0).step(read(0, 0x900000));
        StepResult r = s.run();
        assertNull(r.errno());
        assertEquals(GuestExit.KVM_EXIT_MMIO, r.exit());
        assertEquals(List.of(new GuestAccessed(GuestAccessKind.READ, 0x900000, -1, -1, GuestExit.KVM_EXIT_MMIO,
                false, false)), s.eventsOfLastStep(vcpuId(0)));
    }

    @Test
    void aTranslationInTheTlbIsUsedWithoutAWalk() {
        StepsSpec s = running(X86Steps.vm(true), 0).step(write(0, 0x1000)).step(write(0, 0x1008)).thenErrno(null);
        assertEquals(List.of(new GuestAccessed(GuestAccessKind.WRITE, 0x1008, 0, hvaPage(0x1000), GuestExit.NONE,
                false, true)), s.eventsOfLastStep(vcpuId(0)));
        assertEquals(List.of(), slotEvents(s));
    }

    // after a flush the TLB misses, the hardware walks the present SPTE and caches it: no EPT violation
    @Test
    void aTlbMissOnAPresentSpteIsAWalkWithoutAFault() {
        StepsSpec s = X86Steps.vm(true).step(slot(0, 0, 0, SLOT_SIZE)).step(slot(1, 0, 0x100000, SLOT_SIZE))
                .step(vcpu(0)).step(run(0)).step(write(0, 0x1000)).step(write(0, 0x101000))
                .step(invalidate(0x101000, 0x1000)) // zaps slot 1's page and flushes every TLB
                .step(read(0, 0x1000)).thenErrno(null);
        // with A/D bits a read caches a clean translation
        assertEquals(List.of(new TlbFilled(1, false), new GuestAccessed(GuestAccessKind.READ, 0x1000, 0,
                hvaPage(0x1000), GuestExit.NONE, false, false)), s.eventsOfLastStep(vcpuId(0)));
        assertEquals(List.of(), slotEvents(s));
    }

    // kvm_faultin_pfn(): KVM_PFN_ERR_RO_FAULT -> RET_PF_EMULATE, the write goes to userspace as MMIO
    @Test
    void aWriteToAReadonlySlotIsMmioAndMakesNoSpte() {
        StepsSpec s = running(X86Steps.vm(true), READONLY).step(write(0, 0x1000));
        StepResult r = s.run();
        assertNull(r.errno());
        assertEquals(GuestExit.KVM_EXIT_MMIO, r.exit());
        assertEquals(List.of(), slotEvents(s));
        assertNull(slot0(s).spte(1));
    }

    // fast_page_fault(): a write to a write-protected, MMU-writable SPTE gets W back without mmu_lock
    @Test
    void aWriteToAWriteProtectedSpteIsAFastFaultThatLogsTheGfn() {
        StepsSpec s = running(X86Steps.vm(true), LOG).step(write(0, 0x1000)).step(getDirtyLog(0))
                .step(write(0, 0x1000)).thenErrno(null);
        assertEquals(List.of(new SpteChanged(1, W.writeProtected(), W, true)), slotEvents(s));
        assertEquals(List.of(), s.eventsOfLastStep(HOST), "no hva_to_pfn() on the fast path");
        assertEquals(List.of(new TlbFilled(1, true), new GuestAccessed(GuestAccessKind.WRITE, 0x1000, 0,
                hvaPage(0x1000), GuestExit.NONE, true, false)), s.eventsOfLastStep(vcpuId(0)));
    }

    // direct_page_fault() -> kvm_faultin_pfn() -> hva_to_pfn(), then make_spte() with map_writable
    @Test
    void aFirstTouchIsASlowFaultThroughHvaToPfn() {
        StepsSpec w = running(X86Steps.vm(true), 0).step(write(0, 0x1000)).thenErrno(null);
        assertEquals(List.of(new HostEvent.HostPageMappedWritable(hvaPage(0x1000))), w.eventsOfLastStep(HOST));
        assertEquals(List.of(new SpteChanged(1, null, W, false)), slotEvents(w));
        // a read of a page the VMM never wrote maps the zero page: read-only, and the host PTE stays as it is
        StepsSpec r = running(X86Steps.vm(true), 0).step(read(0, 0x2000)).thenErrno(null);
        assertEquals(List.of(), r.eventsOfLastStep(HOST));
        assertEquals(List.of(new SpteChanged(2, null, Spte.make(false), false)), slotEvents(r));
    }

    // kvm_handle_error_pfn(): kvm_mmu_prepare_memory_fault_exit(), KVM_RUN returns -EFAULT
    @Test
    void withoutAVmaTheFaultIsEfaultWithAMemoryFaultExitAndTheVcpuLeavesKvmRun() {
        StepsSpec s = X86Steps.vm(true).step(mmap(0, 0x1000)).step(slot(0, 0, 0, SLOT_SIZE)).step(vcpu(0))
                .step(run(0)).step(read(0, 0x5000));
        StepResult r = s.run();
        assertEquals(Errno.EFAULT, r.errno());
        assertEquals(GuestExit.KVM_EXIT_MEMORY_FAULT, r.exit());
        assertEquals(List.of(new GuestAccessed(GuestAccessKind.READ, 0x5000, 0, hvaPage(0x5000),
                GuestExit.KVM_EXIT_MEMORY_FAULT, true, false), new VcpuLeftGuest()), s.eventsOfLastStep(vcpuId(0)));
        assertEquals(List.of(), slotEvents(s));
        s.step(read(0, 0x0)).thenErrno(Errno.ENOEXEC); // the next access needs another KVM_RUN
    }
}
