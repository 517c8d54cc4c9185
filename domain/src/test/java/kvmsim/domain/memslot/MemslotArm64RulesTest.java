package kvmsim.domain.memslot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.MemslotFlag;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Event;
import kvmsim.domain.memslot.MemslotCommand.*;
import kvmsim.domain.memslot.MemslotEvent.*;
import kvmsim.domain.testing.DeciderSpec;
import org.junit.jupiter.api.Test;

/**
 * The arm64 rules one memslot decides alone: kvm_arch_prepare_memory_region() with RFC v5 09/38,
 * the slot's checks of kvm_mmu_lock_memslot() and kvm_mmu_unlock_memslot(), the stage-2 leaves a
 * user_mem_abort() installs or relaxes, stage2_unmap_memslot(), and kvm_set_memslot() +
 * kvm_arch_commit_memory_region() for each kind of change.
 */
class MemslotArm64RulesTest {

    private static final EntityId SLOT = EntityId.slot("vm0", 0);
    private static final long BASE = 0x80000; // gpa 0x80000000
    private static final long NPAGES = 4;
    private static final long HVA = 0x7f0000000000L;
    private static final long LOG = MemslotFlag.KVM_MEM_LOG_DIRTY_PAGES.value();
    private static final long RO = MemslotFlag.KVM_MEM_READONLY.value();
    /** 2^40 bytes of IPA (KVM_PHYS_SHIFT) in pages. */
    private static final long IPA_PAGES = 1L << 28;

    private static SlotGeometry geometry(long flags) {
        return new SlotGeometry(0, BASE, NPAGES, HVA, flags);
    }

    private static SlotGeometry at(long baseGfn, long npages) {
        return new SlotGeometry(0, baseGfn, npages, HVA, 0);
    }

    private static DeciderSpec slot(long flags, Event... more) {
        List<Event> events = new ArrayList<>();
        events.add(new MemslotCreated(geometry(flags)));
        events.addAll(List.of(more));
        return DeciderSpec.given(SLOT, events.toArray(Event[]::new));
    }

    private static DeciderSpec lockedSlot(long flags, LockMode mode) {
        return slot(flags, new Stage2Mapped(BASE, NPAGES, mode == LockMode.WRITE, false), new MemslotLocked(mode));
    }

    private static DeciderSpec withLeaf(boolean writable, boolean executable) {
        return slot(0, new Stage2Mapped(BASE + 1, 1, writable, executable));
    }

    // ---- kvm_arch_prepare_memory_region() (RFC v5 09/38) ----

    @Test
    void prepareMemoryRegion_anUnlockedSlotMayChangeInAnyWay() {
        slot(0).when(new PrepareChange(MemslotChange.KVM_MR_DELETE, geometry(0))).thenNothing();
        slot(0).when(new PrepareChange(MemslotChange.KVM_MR_MOVE, at(0x90000, NPAGES))).thenNothing();
        slot(0).when(new PrepareChange(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(LOG))).thenNothing();
        DeciderSpec.given(SLOT).when(new PrepareChange(MemslotChange.KVM_MR_CREATE, geometry(0))).thenNothing();
    }

    @Test
    void prepareMemoryRegion_turningLoggingOnForAReadLockedSlotIsAllowed() {
        lockedSlot(0, LockMode.READ).when(new PrepareChange(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(LOG)))
                .thenNothing();
    }

    @Test
    void prepareMemoryRegion_turningLoggingOnForAWriteLockedSlotIsEbusy() {
        lockedSlot(0, LockMode.WRITE).when(new PrepareChange(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(LOG)))
                .thenErrno(Errno.EBUSY);
    }

    @Test
    void prepareMemoryRegion_deletingOrMovingALockedSlotIsEbusy() {
        lockedSlot(0, LockMode.READ).when(new PrepareChange(MemslotChange.KVM_MR_DELETE, geometry(0)))
                .thenErrno(Errno.EBUSY);
        lockedSlot(0, LockMode.READ).when(new PrepareChange(MemslotChange.KVM_MR_MOVE, at(0x90000, NPAGES)))
                .thenErrno(Errno.EBUSY);
        lockedSlot(0, LockMode.WRITE).when(new PrepareChange(MemslotChange.KVM_MR_DELETE, geometry(0)))
                .thenErrno(Errno.EBUSY);
    }

    @Test
    void prepareMemoryRegion_turningLoggingOffForALockedSlotIsEbusy() {
        DeciderSpec.given(SLOT, new MemslotCreated(geometry(LOG)), new MemslotLocked(LockMode.READ))
                .when(new PrepareChange(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(0))).thenErrno(Errno.EBUSY);
    }

    @Test
    void prepareMemoryRegion_aSlotEndingBeyondTheIpaSpaceIsEfault() {
        DeciderSpec.given(SLOT).when(new PrepareChange(MemslotChange.KVM_MR_CREATE, at(IPA_PAGES - 3, 4)))
                .thenErrno(Errno.EFAULT);
        slot(0).when(new PrepareChange(MemslotChange.KVM_MR_MOVE, at(IPA_PAGES, NPAGES))).thenErrno(Errno.EFAULT);
    }

    @Test
    void prepareMemoryRegion_aSlotEndingExactlyAtTheIpaLimitFits() {
        DeciderSpec.given(SLOT).when(new PrepareChange(MemslotChange.KVM_MR_CREATE, at(IPA_PAGES - 4, 4)))
                .thenNothing();
    }

    @Test
    void prepareMemoryRegion_aDeleteIsNotCheckedAgainstTheIpaSpace() {
        DeciderSpec.given(SLOT, new MemslotCreated(at(IPA_PAGES, 4)))
                .when(new PrepareChange(MemslotChange.KVM_MR_DELETE, at(IPA_PAGES, 4))).thenNothing();
    }

    // ---- kvm_mmu_lock_memslot()'s slot checks, through Lock ----

    @Test
    void kvmMmuLockMemslot_noSuchSlotIsEinval() {
        DeciderSpec.given(SLOT).when(new Lock(LockMode.READ)).thenErrno(Errno.EINVAL);
        slot(0, new MemslotDeleted()).when(new Lock(LockMode.READ)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmMmuLockMemslot_writeOnAReadonlySlotIsEperm() {
        slot(RO).when(new Lock(LockMode.WRITE)).thenErrno(Errno.EPERM);
    }

    @Test
    void kvmMmuLockMemslot_writeOnASlotWithADirtyBitmapIsEperm() {
        slot(LOG).when(new Lock(LockMode.WRITE)).thenErrno(Errno.EPERM);
    }

    @Test
    void kvmMmuLockMemslot_readOnAReadonlyOrLoggingSlotIsAllowed() {
        slot(RO).when(new Lock(LockMode.READ)).thenEvents(new MemslotLocked(LockMode.READ));
        slot(LOG).when(new Lock(LockMode.READ)).thenEvents(new MemslotLocked(LockMode.READ));
    }

    @Test
    void kvmMmuLockMemslot_aSlotAlreadyLockedIsEbusy() {
        lockedSlot(0, LockMode.READ).when(new Lock(LockMode.READ)).thenErrno(Errno.EBUSY);
        lockedSlot(0, LockMode.READ).when(new Lock(LockMode.WRITE)).thenErrno(Errno.EBUSY);
    }

    @Test
    void kvmMmuLockMemslot_epermIsCheckedBeforeEbusy() {
        lockedSlot(RO, LockMode.READ).when(new Lock(LockMode.WRITE)).thenErrno(Errno.EPERM);
    }

    @Test
    void kvmMmuLockMemslot_setsTheLockFlags() {
        MemslotState s = (MemslotState) slot(0).when(new Lock(LockMode.WRITE))
                .thenEvents(new MemslotLocked(LockMode.WRITE));
        assertEquals(LockMode.WRITE, s.lock());
    }

    // ---- kvm_mmu_unlock_memslot() of one slot ----

    @Test
    void kvmMmuUnlockMemslot_aSlotNotLockedIsEinval() {
        slot(0).when(new Unlock()).thenErrno(Errno.EINVAL);
        DeciderSpec.given(SLOT).when(new Unlock()).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmMmuUnlockMemslot_clearsTheLockFlagsAndLeavesStage2() {
        MemslotState s = (MemslotState) lockedSlot(0, LockMode.WRITE).when(new Unlock())
                .thenEvents(new MemslotUnlocked(LockMode.WRITE));
        assertFalse(s.locked());
        assertEquals(NPAGES, s.stage2().size(), "unlocking alone unmaps nothing");
    }

    // ---- user_mem_abort() on the slot's stage 2 ----

    // Stage2Fault carries the access only: W for a read follows it as it does where hva_to_pfn() gives no
    // writable pfn (an untouched private page) or the slot logs dirty pages
    @Test
    void userMemAbort_aTranslationFaultMapsThePageWithTheAccesssPermissions() {
        slot(0).when(new Stage2Fault(BASE + 1, false, false)).thenEvents(new Stage2Mapped(BASE + 1, 1, false, false));
        slot(0).when(new Stage2Fault(BASE + 1, true, false)).thenEvents(new Stage2Mapped(BASE + 1, 1, true, false));
        MemslotState s = (MemslotState) slot(0).when(new Stage2Fault(BASE + 1, false, true))
                .thenEvents(new Stage2Mapped(BASE + 1, 1, false, true));
        assertEquals(Map.of(BASE + 1, new Stage2Pte(false, true)), s.stage2());
    }

    @Test
    void userMemAbort_aWritePermissionFaultAddsWAndKeepsX() {
        withLeaf(false, true).when(new Stage2Fault(BASE + 1, true, false))
                .thenEvents(new Stage2Mapped(BASE + 1, 1, true, true));
    }

    @Test
    void userMemAbort_anExecPermissionFaultAddsXAndKeepsW() {
        withLeaf(true, false).when(new Stage2Fault(BASE + 1, false, true))
                .thenEvents(new Stage2Mapped(BASE + 1, 1, true, true));
    }

    @Test
    void userMemAbort_anAccessTheLeafAllowsChangesNothing() {
        withLeaf(false, false).when(new Stage2Fault(BASE + 1, false, false)).thenNothing();
        withLeaf(true, false).when(new Stage2Fault(BASE + 1, true, false)).thenNothing();
        withLeaf(false, true).when(new Stage2Fault(BASE + 1, false, true)).thenNothing();
    }

    // ---- kvm_pgtable_stage2_map() / stage2_unmap_memslot() ----

    @Test
    void stage2Map_ofNoPagesChangesNothing() {
        slot(0).when(new Stage2Map(BASE, 0, true, false)).thenNothing();
    }

    @Test
    void stage2Map_installsPageLeavesWithTheGivenPermissions() {
        MemslotState s = (MemslotState) slot(0).when(new Stage2Map(BASE, 2, true, false))
                .thenEvents(new Stage2Mapped(BASE, 2, true, false));
        assertEquals(Map.of(BASE, new Stage2Pte(true, false), BASE + 1, new Stage2Pte(true, false)), s.stage2());
    }

    @Test
    void stage2Unmap_persistsOnlyWhenSomethingInTheRangeIsMapped() {
        withLeaf(true, false).when(new Stage2Unmap(BASE, 1)).thenNothing(); // the leaf is at BASE + 1
        slot(0).when(new Stage2Unmap(BASE, NPAGES)).thenNothing();
        MemslotState s = (MemslotState) withLeaf(true, false).when(new Stage2Unmap(BASE, NPAGES))
                .thenEvents(new Stage2Unmapped(BASE, NPAGES));
        assertEquals(Map.of(), s.stage2());
    }

    // ---- kvm_set_memslot() + kvm_arch_commit_memory_region() on arm64 (no dirty bitmap modelled) ----

    @Test
    void commitMemoryRegion_createInstallsTheSlot() {
        MemslotState s = (MemslotState) DeciderSpec.given(SLOT)
                .when(new CommitChange(MemslotChange.KVM_MR_CREATE, geometry(LOG), false, false))
                .thenEvents(new MemslotCreated(geometry(LOG)));
        assertNull(s.dirtyBitmap(), "arm64 keeps no dirty bitmap in kvmsim");
    }

    @Test
    void commitMemoryRegion_deleteFlushesTheSlotsStage2First() {
        MemslotState s = (MemslotState) withLeaf(true, false)
                .when(new CommitChange(MemslotChange.KVM_MR_DELETE, geometry(0), false, false))
                .thenEvents(new Stage2Unmapped(BASE, NPAGES), new MemslotDeleted());
        assertFalse(s.present());
        slot(0).when(new CommitChange(MemslotChange.KVM_MR_DELETE, geometry(0), false, false))
                .thenEvents(new MemslotDeleted());
    }

    @Test
    void commitMemoryRegion_moveFlushesTheOldRange() {
        MemslotState s = (MemslotState) withLeaf(true, false)
                .when(new CommitChange(MemslotChange.KVM_MR_MOVE, at(0x90000, NPAGES), false, false))
                .thenEvents(new Stage2Unmapped(BASE, NPAGES), new MemslotMoved(at(0x90000, NPAGES)));
        assertEquals(0x90000, s.geometry().baseGfn());
        slot(0).when(new CommitChange(MemslotChange.KVM_MR_MOVE, at(0x90000, NPAGES), false, false))
                .thenEvents(new MemslotMoved(at(0x90000, NPAGES)));
    }

    @Test
    void commitMemoryRegion_enablingLoggingWriteProtectsWritableLeaves() {
        MemslotState s = (MemslotState) slot(0, new Stage2Mapped(BASE, 2, true, true))
                .when(new CommitChange(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(LOG), false, false))
                .thenEvents(new MemslotFlagsChanged(geometry(LOG)), new Stage2WriteProtected());
        assertEquals(Map.of(BASE, new Stage2Pte(false, true), BASE + 1, new Stage2Pte(false, true)), s.stage2());
    }

    @Test
    void commitMemoryRegion_enablingLoggingWithNoWritableLeafWriteProtectsNothing() {
        withLeaf(false, true).when(new CommitChange(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(LOG), false, false))
                .thenEvents(new MemslotFlagsChanged(geometry(LOG)));
    }

    @Test
    void commitMemoryRegion_disablingLoggingLeavesTheLeavesAlone() {
        DeciderSpec.given(SLOT, new MemslotCreated(geometry(LOG)), new Stage2Mapped(BASE, 1, true, false))
                .when(new CommitChange(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(0), false, false))
                .thenEvents(new MemslotFlagsChanged(geometry(0)));
    }

    @Test
    void commitMemoryRegion_aFlagsOnlyChangeKeepsTheLockOfAReadLockedSlot() {
        MemslotState s = (MemslotState) lockedSlot(0, LockMode.READ)
                .when(new CommitChange(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(LOG), false, false))
                .thenEvents(new MemslotFlagsChanged(geometry(LOG)));
        assertEquals(LockMode.READ, s.lock(), "v5 09/38 copies arch so the lock survives");
        assertEquals(NPAGES, s.stage2().size());
    }
}
