package kvmsim.domain.kernel.arm64;

import static kvmsim.domain.kernel.arm64.Arm64Steps.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.MemslotFlag;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostEvent.LockedVmAccounted;
import kvmsim.domain.host.HostEvent.PagesPinned;
import kvmsim.domain.host.HostEvent.PagesUnpinned;
import kvmsim.domain.host.HostState;
import kvmsim.domain.memslot.LockMode;
import kvmsim.domain.memslot.MemslotEvent.MemslotLocked;
import kvmsim.domain.memslot.MemslotEvent.MemslotUnlocked;
import kvmsim.domain.memslot.MemslotEvent.Stage2Mapped;
import kvmsim.domain.memslot.MemslotEvent.Stage2Unmapped;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.vm.PendingOp;
import kvmsim.domain.vm.VmEvent.PendingOpsCleared;
import kvmsim.domain.vm.VmEvent.PendingOpsSet;
import kvmsim.domain.vm.VmState;
import org.junit.jupiter.api.Test;

/**
 * KVM_ENABLE_CAP(KVM_CAP_ARM_LOCK_USER_MEMORY_REGION) of the locked-memslot RFC v5
 * (kvm-semantics.md §2.1-2.3): every errno of kvm_lock_user_memory_region_ioctl(),
 * kvm_mmu_lock_memslot() and kvm_mmu_unlock_memslot() in the kernel's order, and what a good lock
 * and unlock persist in the host, the slot and the VM.
 */
class LockedMemslotsRulesTest {

    private static final long HVA = 0x7f0000000000L;
    private static final long GPA0 = 0x80000000L;
    private static final long GPA1 = 0x90000000L;
    private static final long GPA2 = 0xa0000000L;
    private static final long BASE0 = Pages.pageOf(GPA0);
    private static final long BASE1 = Pages.pageOf(GPA1);
    private static final long HVA1 = HVA + 4 * PAGE;
    private static final long RO = MemslotFlag.KVM_MEM_READONLY.value();
    private static final long LOG = MemslotFlag.KVM_MEM_LOG_DIRTY_PAGES.value();
    private static final EntityId HOST_ID = EntityId.host(HOST);
    private static final EntityId VM_ID = EntityId.vm(VM);
    private static final EntityId SLOT0 = EntityId.slot(VM, 0);
    private static final EntityId SLOT1 = EntityId.slot(VM, 1);
    private static final Map<String, String> ON_LOCK = Map.of("sanitise-tags", "on-lock");

    /** vm0 with slot 0: 4 pages at GPA0, backed at HVA (no MMAP: private anonymous memory). */
    private static StepsSpec slot0() {
        return arm64Vm().step(region(0, 0, GPA0, 4, HVA));
    }

    /** slot0() plus slot 1 (4 pages at GPA1, hva HVA1) with these flags, and slot 2 logging (2 pages). */
    private static StepsSpec threeSlots(long slot1Flags) {
        return slot0().step(region(1, slot1Flags, GPA1, 4, HVA1)).step(region(2, LOG, GPA2, 2, HVA + 8 * PAGE));
    }

    /** slot0() with vCPU 0 inside KVM_RUN. */
    private static StepsSpec slot0WithVcpuInGuest() {
        return slot0().step(createVcpu(0)).step(init(0)).step(run(0));
    }

    private static void assertNothingPersisted(StepsSpec spec) {
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
    }

    // ---- kvm_lock_user_memory_region_ioctl() ----

    @Test
    void lockUserMemoryRegionIoctl_args2OrArgs3NonZeroIsEinval() {
        assertNothingPersisted(slot0().step(lockCap(LOCK, 0, READ, 1, 0)).thenErrno(Errno.EINVAL));
        slot0().step(lockCap(LOCK, 0, READ, 0, 1)).thenErrno(Errno.EINVAL);
        slot0().step(lock(0, READ)).step(lockCap(UNLOCK, 0, 0, 0, 1)).thenErrno(Errno.EINVAL);
    }

    @Test
    void lockUserMemoryRegionIoctl_flagsOtherThanLockOrUnlockIsEinval() {
        slot0().step(lockCap(0, 0, READ, 0, 0)).thenErrno(Errno.EINVAL);
        slot0().step(lockCap(LOCK | UNLOCK, 0, READ, 0, 0)).thenErrno(Errno.EINVAL);
        slot0().step(lockCap(4, 0, READ, 0, 0)).thenErrno(Errno.EINVAL);
    }

    // ---- kvm_mmu_lock_memslot(): argument checks, then the vCPU locks, then the slot ----

    @Test
    void kvmMmuLockMemslot_aSlotIdAtOrAboveKvmMemSlotsNumIsEinval() {
        slot0().step(lock(32767, READ)).thenErrno(Errno.EINVAL);
        slot0().step(lock(1L << 32, READ)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmMmuLockMemslot_withoutReadIsEinval() {
        slot0().step(lock(0, WRITE)).thenErrno(Errno.EINVAL);
        slot0().step(lock(0, 0)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmMmuLockMemslot_unknownLockBitsAreEinval() {
        slot0().step(lock(0, READ | 4)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmLockAllVcpus_aVcpuInsideKvmRunIsEbusy() {
        assertNothingPersisted(slot0WithVcpuInGuest().step(lock(0, READ)).thenErrno(Errno.EBUSY));
    }

    @Test
    void kvmLockAllVcpus_comesAfterTheArgumentChecksAndBeforeTheSlotLookup() {
        slot0WithVcpuInGuest().step(lock(32767, READ)).thenErrno(Errno.EINVAL);
        slot0WithVcpuInGuest().step(lock(5, READ)).thenErrno(Errno.EBUSY); // slot 5 does not exist
    }

    @Test
    void kvmLockAllVcpus_aVcpuResetOutOfKvmRunNoLongerHoldsItsMutex() {
        slot0WithVcpuInGuest().step(init(0)).step(lock(0, READ)).thenErrno(null);
    }

    @Test
    void kvmMmuLockMemslot_noSuchSlotIsEinval() {
        slot0().step(lock(5, READ)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmMmuLockMemslot_writeOnAReadonlySlotIsEperm() {
        assertNothingPersisted(threeSlots(RO).step(lock(1, READ | WRITE)).thenErrno(Errno.EPERM));
    }

    @Test
    void kvmMmuLockMemslot_writeOnASlotThatLogsDirtyPagesIsEperm() {
        threeSlots(RO).step(lock(2, READ | WRITE)).thenErrno(Errno.EPERM);
    }

    @Test
    void kvmMmuLockMemslot_aSlotAlreadyLockedIsEbusy() {
        StepsSpec spec = slot0().step(lock(0, READ)).step(lock(0, READ)).thenErrno(Errno.EBUSY);
        assertNothingPersisted(spec);
        assertEquals(1, ((HostState) spec.state(HOST_ID)).page(Pages.pageOf(HVA)).pins(), "pinned once only");
    }

    // ---- lock_memslot(): all or nothing ----

    @Test
    void tryRlimitMemlock_moreThanRlimitMemlockIsEnomemBeforeAnythingIsPinned() {
        assertNothingPersisted(slot0().step(rlimitMemlock(3 * PAGE)).step(lock(0, READ)).thenErrno(Errno.ENOMEM));
        slot0().step(rlimitMemlock(4 * PAGE)).step(lock(0, READ)).thenErrno(null);
    }

    @Test
    void tryRlimitMemlock_countsThePagesAlreadyLocked() {
        threeSlots(0).step(rlimitMemlock(6 * PAGE)).step(lock(1, READ)).step(lock(0, READ))
                .thenErrno(Errno.ENOMEM);
    }

    @Test
    void pinUserPages_anUnmappedPageIsEnomemAndTheMappedPrefixIsUndone() {
        StepsSpec spec = arm64Vm().step(mmap(HVA, 2 * PAGE, false)).step(region(0, 0, GPA0, 4, HVA))
                .step(lock(0, READ)).thenErrno(Errno.ENOMEM);
        assertEquals(List.of(new PagesPinned(HVA, 2, false), new PagesUnpinned(HVA, 2, false)),
                spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new Stage2Mapped(BASE0, 2, false, false), new Stage2Unmapped(BASE0, 2)),
                spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
        MemslotState slot = (MemslotState) spec.state(SLOT0);
        assertNull(slot.lock());
        assertEquals(Map.of(), slot.stage2());
        HostState host = (HostState) spec.state(HOST_ID);
        assertEquals(0, host.page(Pages.pageOf(HVA)).pins());
        assertEquals(0, host.lockedVm());
    }

    @Test
    void pinUserPages_failingOnTheFirstPagePinsAndMapsNothing() {
        assertNothingPersisted(arm64Vm().step(mmap(HVA + 64 * PAGE, PAGE, false)).step(region(0, 0, GPA0, 4, HVA))
                .step(lock(0, READ)).thenErrno(Errno.ENOMEM));
    }

    @Test
    void lockMemslot_readPinsMapsReadOnlyAccountsAndSetsFlushDcache() {
        StepsSpec spec = slot0().step(lock(0, READ)).thenErrno(null);
        assertEquals(List.of(new PagesPinned(HVA, 4, false), new LockedVmAccounted(4, 4)),
                spec.eventsOfLastStep(HOST_ID));
        // kvm_pgtable_stage2_map() at PAGE_SIZE, R only, no CMO (deferred to the first KVM_RUN)
        assertEquals(List.of(new Stage2Mapped(BASE0, 4, false, false), new MemslotLocked(LockMode.READ)),
                spec.eventsOfLastStep(SLOT0));
        // sanitise-tags=mte-only and no KVM_CAP_ARM_MTE: only FLUSH_DCACHE
        assertEquals(List.of(new PendingOpsSet(Set.of(PendingOp.FLUSH_DCACHE))), spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void lockMemslot_writePinsWithFollWriteAndMapsWritable() {
        StepsSpec spec = slot0().step(lock(0, READ | WRITE)).thenErrno(null);
        assertEquals(List.of(new PagesPinned(HVA, 4, true), new LockedVmAccounted(4, 4)),
                spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new Stage2Mapped(BASE0, 4, true, false), new MemslotLocked(LockMode.WRITE)),
                spec.eventsOfLastStep(SLOT0));
    }

    @Test
    void lockMemslot_setsSanitiseTagsUnconditionallyUnderOnLock() {
        // v5 06/38 as posted: "MTE might be enabled after we lock the memslot, set it here unconditionally"
        StepsSpec spec = slot0().policies(ON_LOCK).step(lock(0, READ)).thenErrno(null);
        assertEquals(List.of(new PendingOpsSet(Set.of(PendingOp.FLUSH_DCACHE, PendingOp.SANITISE_TAGS))),
                spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void lockMemslot_setsSanitiseTagsUnderMteOnlyWhenTheVmHasMte() {
        StepsSpec spec = slot0().step(enableMte()).step(lock(0, READ)).thenErrno(null);
        assertEquals(List.of(new PendingOpsSet(Set.of(PendingOp.FLUSH_DCACHE, PendingOp.SANITISE_TAGS))),
                spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void lockMemslot_aSecondLockSetsNoPendingOpAlreadySet() {
        StepsSpec spec = threeSlots(0).step(lock(1, READ)).step(lock(0, READ)).thenErrno(null);
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
        assertEquals(List.of(new PagesPinned(HVA, 4, false), new LockedVmAccounted(4, 8)),
                spec.eventsOfLastStep(HOST_ID));
    }

    // ---- kvm_arch_prepare_memory_region() of a locked slot (v5 09/38), through KVM_SET_USER_MEMORY_REGION ----

    @Test
    void prepareMemoryRegion_deletingALockedSlotIsEbusyAndTheTableKeepsIt() {
        StepsSpec spec = slot0().step(lock(0, READ)).step(region(0, 0, GPA0, 0, HVA)).thenErrno(Errno.EBUSY);
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(0L), List.copyOf(((VmState) spec.state(VM_ID)).slots().keySet()));
    }

    @Test
    void prepareMemoryRegion_loggingOnForAReadLockedSlotKeepsTheLock() {
        StepsSpec spec = slot0().step(lock(0, READ)).step(region(0, LOG, GPA0, 4, HVA)).thenErrno(null);
        MemslotState slot = (MemslotState) spec.state(SLOT0);
        assertEquals(LockMode.READ, slot.lock());
        assertEquals(4, slot.stage2().size());
    }

    @Test
    void prepareMemoryRegion_loggingOnForAWriteLockedSlotIsEbusy() {
        slot0().step(lock(0, READ | WRITE)).step(region(0, LOG, GPA0, 4, HVA)).thenErrno(Errno.EBUSY);
    }

    // ---- kvm_mmu_unlock_memslot() ----

    @Test
    void kvmMmuUnlockMemslot_aSlotThatIsNotLockedIsEinval() {
        slot0().step(unlock(0, 0)).thenErrno(Errno.EINVAL);
        slot0().step(unlock(5, 0)).thenErrno(Errno.EINVAL); // no such slot
    }

    @Test
    void kvmMmuUnlockMemslot_aSlotIdOutOfRangeIsEinval() {
        slot0().step(lock(0, READ)).step(unlock(32767, 0)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmMmuUnlockMemslot_unknownUnlockFlagsAreEinval() {
        assertNothingPersisted(slot0().step(lock(0, READ)).step(unlock(0, 2)).thenErrno(Errno.EINVAL));
    }

    @Test
    void unlockMemslot_beforeAnyVcpuRanUnmapsUnpinsUnaccountsAndClearsPendingOps() {
        StepsSpec spec = slot0().step(lock(0, READ)).step(unlock(0, 0)).thenErrno(null);
        // v5 07/38: kvm_mmu_has_pending_ops(), so kvm_arch_flush_shadow_memslot() first
        assertEquals(List.of(new Stage2Unmapped(BASE0, 4), new MemslotUnlocked(LockMode.READ)),
                spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(new PagesUnpinned(HVA, 4, false), new LockedVmAccounted(-4, 0)),
                spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new PendingOpsCleared(Set.of(PendingOp.FLUSH_DCACHE))), spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void unlockMemslot_ofAWriteLockDirtiesThePagesItUnpins() {
        StepsSpec spec = slot0().step(lock(0, READ | WRITE)).step(unlock(0, 0)).thenErrno(null);
        assertEquals(List.of(new PagesUnpinned(HVA, 4, true), new LockedVmAccounted(-4, 0)),
                spec.eventsOfLastStep(HOST_ID));
    }

    @Test
    void unlockMemslot_afterAVcpuRanLeavesStage2Mapped() {
        StepsSpec spec = slot0().step(lock(0, READ)).step(createVcpu(0)).step(init(0)).step(run(0))
                .step(unlock(0, 0)).thenErrno(null);
        assertEquals(List.of(new MemslotUnlocked(LockMode.READ)), spec.eventsOfLastStep(SLOT0));
        assertEquals(4, ((MemslotState) spec.state(SLOT0)).stage2().size());
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void unlockMemslot_pendingOpsStayWhileAnotherSlotIsLocked() {
        StepsSpec spec = threeSlots(0).step(lock(0, READ)).step(lock(1, READ)).step(unlock(0, 0)).thenErrno(null);
        assertEquals(List.of(new Stage2Unmapped(BASE0, 4), new MemslotUnlocked(LockMode.READ)),
                spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
        assertEquals(Set.of(PendingOp.FLUSH_DCACHE), ((VmState) spec.state(VM_ID)).pendingOps());
    }

    @Test
    void unlockMemAll_ignoresArgs0AndUnlocksEveryLockedSlot() {
        StepsSpec spec = threeSlots(0).step(lock(0, READ)).step(lock(1, READ | WRITE)).step(unlock(12345, ALL))
                .thenErrno(null);
        assertEquals(List.of(new Stage2Unmapped(BASE0, 4), new MemslotUnlocked(LockMode.READ)),
                spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(new Stage2Unmapped(BASE1, 4), new MemslotUnlocked(LockMode.WRITE)),
                spec.eventsOfLastStep(SLOT1));
        assertEquals(List.of(new PagesUnpinned(HVA, 4, false), new LockedVmAccounted(-4, 4),
                new PagesUnpinned(HVA1, 4, true), new LockedVmAccounted(-4, 0)), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new PendingOpsCleared(Set.of(PendingOp.FLUSH_DCACHE))), spec.eventsOfLastStep(VM_ID));
        assertFalse(((VmState) spec.state(VM_ID)).hasPendingOps());
    }

    @Test
    void unlockMemAll_withNothingLockedSucceedsAndChangesNothing() {
        assertNothingPersisted(slot0().step(unlock(0, ALL)).thenErrno(null));
    }
}
