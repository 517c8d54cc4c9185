package kvmsim.domain.vm;

import static kvmsim.domain.testing.X86Steps.GUEST_MEMFD;
import static kvmsim.domain.testing.X86Steps.HVA;
import static kvmsim.domain.testing.X86Steps.LOG;
import static kvmsim.domain.testing.X86Steps.READONLY;
import static kvmsim.domain.testing.X86Steps.VM;
import static kvmsim.domain.testing.X86Steps.slot;
import static kvmsim.domain.testing.X86Steps.slotId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.memslot.MemslotChange;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.testing.DeciderSpec;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.testing.X86Steps;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vm.KvmSetMemoryRegion.Request;
import kvmsim.domain.vm.VmCommand.SetMemoryRegion;
import kvmsim.domain.vm.VmEvent.MemslotTableUpdated;
import kvmsim.domain.vm.VmEvent.RemoteTlbFlushCompleted;
import kvmsim.domain.vm.VmEvent.RemoteTlbFlushRequested;
import kvmsim.domain.vm.VmEvent.VmCreated;
import org.junit.jupiter.api.Test;

/**
 * __kvm_set_memory_region() and check_memory_region_flags() (virt/kvm/kvm_main.c), in the order the
 * model checks them, through the VM's SetMemoryRegion command; the x86 flow around it
 * (kvm_arch_prepare_memory_region(), kvm_arch_flush_shadow_memslot()) through trace steps.
 * Kernel facts: kvm-semantics.md §1 and §7, tools/kvm-probe/FINDINGS.md.
 */
class MemoryRegionRulesTest {

    private static final long PAGE = 0x1000;

    private static VmCreated x86(boolean smm) {
        return new VmCreated(Arch.X86_64, "KVM_X86_DEFAULT_VM", "host0", false, false, smm, true, 1024, 4096);
    }

    /** A default x86 VM with an SMM address space, holding {@code slots}. */
    private static DeciderSpec vm(VmEvent... slots) {
        List<VmEvent> events = new ArrayList<>();
        events.add(x86(true));
        events.addAll(List.of(slots));
        return DeciderSpec.given(VM, events.toArray(VmEvent[]::new));
    }

    private static SlotGeometry geometry(long slot, long flags, long gpa, long size) {
        return new SlotGeometry(slot, gpa >>> 12, size >>> 12, HVA + gpa, flags);
    }

    /** A slot already in the table, at hva HVA + gpa. */
    private static MemslotTableUpdated existing(long slot, long flags, long gpa, long size) {
        return new MemslotTableUpdated(MemslotChange.KVM_MR_CREATE, geometry(slot, flags, gpa, size));
    }

    /** KVM_SET_USER_MEMORY_REGION (v1) at hva HVA + gpa. */
    private static SetMemoryRegion v1(long slot, long flags, long gpa, long size) {
        return new SetMemoryRegion(new Request(slot, flags, gpa, size, HVA + gpa));
    }

    private static SetMemoryRegion v1At(long slot, long flags, long gpa, long size, long hva) {
        return new SetMemoryRegion(new Request(slot, flags, gpa, size, hva));
    }

    /** KVM_SET_USER_MEMORY_REGION2 at hva HVA + gpa. */
    private static SetMemoryRegion v2(long slot, long flags, long gpa, long size, String gmem, long offset) {
        return new SetMemoryRegion(new Request(slot, flags, gpa, size, HVA + gpa, true, gmem, offset));
    }

    private static MemslotTableUpdated created(long slot, long flags, long gpa, long size) {
        return new MemslotTableUpdated(MemslotChange.KVM_MR_CREATE, geometry(slot, flags, gpa, size));
    }

    // ---- check_memory_region_flags() and the v1 ioctl ----

    @Test
    void kvmVmIoctlV1RefusesGuestMemfdWhichIsNotInTheV1Struct() {
        vm().when(v1(0, GUEST_MEMFD, 0, 0x4000)).thenErrno(Errno.EINVAL);
        vm().when(v1(0, LOG | READONLY, 0, 0x4000)).thenEvents(created(0, LOG | READONLY, 0, 0x4000));
    }

    @Test
    void checkMemoryRegionFlagsRefusesUnknownBits() {
        vm().when(v2(0, 8, 0, 0x4000, null, 0)).thenErrno(Errno.EINVAL);
        vm().when(v2(0, 1L << 31, 0, 0x4000, null, 0)).thenErrno(Errno.EINVAL);
        vm().when(v1(0, 8, 0, 0x4000)).thenErrno(Errno.EINVAL);
    }

    @Test
    void checkMemoryRegionFlagsRefusesLogDirtyOrReadonlyOnAGuestMemfdSlot() {
        vm().when(v2(0, GUEST_MEMFD | LOG, 0, 0x4000, "g0", 0)).thenErrno(Errno.EINVAL);
        vm().when(v2(0, GUEST_MEMFD | READONLY, 0, 0x4000, "g0", 0)).thenErrno(Errno.EINVAL);
        vm().when(v2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0)).thenEvents(new MemslotTableUpdated(
                MemslotChange.KVM_MR_CREATE, new SlotGeometry(0, 0, 4, HVA, GUEST_MEMFD, "g0", 0)));
    }

    // ---- the general sanity checks of __kvm_set_memory_region() ----

    @Test
    void kvmSetMemoryRegionRefusesAnUnalignedSizeGpaOrHva() {
        vm().when(v1(0, 0, 0, 0x4001)).thenErrno(Errno.EINVAL);
        vm().when(v1(0, 0, 0x800, 0x4000)).thenErrno(Errno.EINVAL);
        vm().when(v1At(0, 0, 0, 0x4000, HVA + 0x800)).thenErrno(Errno.EINVAL);
    }

    // FINDINGS.md item 4: the last user page cannot be used either
    @Test
    void accessOkRefusesRangesReachingTheLastUserPageOrTheKernel() {
        vm().when(v1At(0, 0, 0, PAGE, 0x7fffffffe000L)).thenEvents(new MemslotTableUpdated(
                MemslotChange.KVM_MR_CREATE, new SlotGeometry(0, 0, 1, 0x7fffffffe000L, 0)));
        vm().when(v1At(0, 0, 0, PAGE, 0x7ffffffff000L)).thenErrno(Errno.EINVAL);
        vm().when(v1At(0, 0, 0, 2 * PAGE, 0x7fffffffe000L)).thenErrno(Errno.EINVAL);
        vm().when(v1At(0, 0, 0, PAGE, 0xffff888000000000L)).thenErrno(Errno.EINVAL);
    }

    @Test
    void aGuestMemfdOffsetMustBeAlignedAndNotWrapButIsNotReadWithoutTheFlag() {
        vm().when(v2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0x800)).thenErrno(Errno.EINVAL);
        vm().when(v2(0, GUEST_MEMFD, 0, 0x4000, "g0", -0x1000L)).thenErrno(Errno.EINVAL);
        // without KVM_MEM_GUEST_MEMFD neither the fd nor the offset is looked at
        vm().when(v2(0, 0, 0, 0x4000, "nosuch", 0x800)).thenEvents(created(0, 0, 0, 0x4000));
    }

    @Test
    void slotIdsStopAtKvmUserMemSlotsAndAsIdsAtTheAddressSpaces() {
        vm().when(v1(32763, 0, 0, 0x4000)).thenEvents(created(32763, 0, 0, 0x4000));
        vm().when(v1(32764, 0, 0, 0x4000)).thenErrno(Errno.EINVAL); // x86 keeps 3 internal slots
        vm().when(v1(0xffff, 0, 0, 0x4000)).thenErrno(Errno.EINVAL);
        vm().when(v1(1L << 16, 0, 0, 0x4000)).thenEvents(created(1L << 16, 0, 0, 0x4000)); // SMM
        vm().when(v1(2L << 16, 0, 0, 0x4000)).thenErrno(Errno.EINVAL);
        DeciderSpec.given(VM, x86(false)).when(v1(1L << 16, 0, 0, 0x4000)).thenErrno(Errno.EINVAL);
    }

    @Test
    void aGpaRangeWrappingTwoToTheSixtyFourIsEinval() {
        vm().when(v1At(0, 0, -0x1000L, 0x2000, HVA)).thenErrno(Errno.EINVAL);
        vm().when(v1At(0, 0, -0x1000L, 0x1000, HVA)).thenErrno(Errno.EINVAL); // ends exactly at 2^64
    }

    @Test
    void moreThanKvmMemMaxNrPagesIsEinval() {
        long max = ((1L << 31) - 1) * PAGE;
        long hva = 0x100000000000L; // room for 8 TiB below the end of user space
        vm().when(v1At(0, 0, 0, max + PAGE, hva)).thenErrno(Errno.EINVAL);
        vm().when(v1At(0, 0, 0, max, hva)).thenEvents(new MemslotTableUpdated(MemslotChange.KVM_MR_CREATE,
                new SlotGeometry(0, 0, max >>> 12, hva, 0)));
    }

    // ---- deleting ----

    @Test
    void deletingAnAbsentSlotOrCreatingOneOfSizeZeroIsEinval() {
        vm().when(v1(3, 0, 0, 0)).thenErrno(Errno.EINVAL);
        vm(existing(0, 0, 0, 0x4000)).when(v1(1, 0, 0x4000, 0)).thenErrno(Errno.EINVAL);
    }

    // FINDINGS.md item 3: the flag, gpa, hva and access_ok checks come before the delete path
    @Test
    void aDeleteStillChecksFlagsAlignmentAndAccessOkButNotTheOldGeometry() {
        MemslotTableUpdated slot0 = existing(0, 0, 0, 0x4000);
        MemslotTableUpdated deleted = new MemslotTableUpdated(MemslotChange.KVM_MR_DELETE, slot0.geometry());
        vm(slot0).when(v1(0, 8, 0, 0)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v1(0, 0, 0x800, 0)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v1At(0, 0, 0, 0, 0x123)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v1At(0, 0, 0, 0, 0xffff888000000000L)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v1(0, GUEST_MEMFD, 0, 0)).thenErrno(Errno.EINVAL);
        // the table loses the old entry, whatever the request said about gpa, hva or READONLY
        vm(slot0).when(v1At(0, 0, 0, 0, 0x1000)).thenEvents(deleted);
        vm(slot0).when(v1(0, 0, 0x100000, 0)).thenEvents(deleted);
        VmState after = (VmState) vm(slot0).when(v1(0, READONLY, 0, 0)).thenEvents(deleted);
        assertFalse(after.slots().containsKey(0L));
    }

    // ---- modifying an existing slot ----

    @Test
    void aGuestMemfdSlotIsImmutableAndCanOnlyBeDeleted() {
        MemslotTableUpdated bound = new MemslotTableUpdated(MemslotChange.KVM_MR_CREATE,
                new SlotGeometry(0, 0, 4, HVA, GUEST_MEMFD, "g0", 0));
        vm(bound).when(v2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0)).thenErrno(Errno.EINVAL); // even identical
        vm(bound).when(v2(0, 0, 0, 0x4000, null, 0)).thenErrno(Errno.EINVAL); // dropping the flag
        vm(bound).when(v2(0, LOG, 0, 0x4000, null, 0)).thenErrno(Errno.EINVAL);
        vm(bound).when(v2(0, GUEST_MEMFD, 0x100000, 0x4000, "g0", 0)).thenErrno(Errno.EINVAL); // a move
        vm(bound).when(v2(0, 0, 0, 0, null, 0)).thenEvents(new MemslotTableUpdated(MemslotChange.KVM_MR_DELETE,
                bound.geometry()));
    }

    @Test
    void changingSizeHvaOrReadonlyOfAnExistingSlotIsEinval() {
        MemslotTableUpdated slot0 = existing(0, 0, 0, 0x4000);
        vm(slot0).when(v1(0, 0, 0, 0x8000)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v1(0, 0, 0, 0x2000)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v1At(0, 0, 0, 0x4000, HVA + 0x100000)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v1(0, READONLY, 0, 0x4000)).thenErrno(Errno.EINVAL);
        vm(existing(0, READONLY, 0, 0x4000)).when(v1(0, 0, 0, 0x4000)).thenErrno(Errno.EINVAL);
        // a move and a resize at once (FINDINGS.md item 6)
        vm(slot0).when(new SetMemoryRegion(new Request(0, 0, 0x100000, 0x8000, HVA))).thenErrno(Errno.EINVAL);
    }

    @Test
    void aNewGpaIsAMoveWhateverElseChanges() {
        MemslotTableUpdated slot0 = existing(0, 0, 0, 0x4000);
        vm(slot0).when(new SetMemoryRegion(new Request(0, 0, 0x100000, 0x4000, HVA))).thenEvents(
                new MemslotTableUpdated(MemslotChange.KVM_MR_MOVE, new SlotGeometry(0, 0x100, 4, HVA, 0)));
        // kvm-semantics.md §7: a gpa change is a MOVE even when LOG_DIRTY_PAGES toggles with it
        vm(slot0).when(new SetMemoryRegion(new Request(0, LOG, 0x100000, 0x4000, HVA))).thenEvents(
                new MemslotTableUpdated(MemslotChange.KVM_MR_MOVE, new SlotGeometry(0, 0x100, 4, HVA, LOG)));
    }

    @Test
    void onlyLogDirtyPagesChangedIsFlagsOnly() {
        vm(existing(0, 0, 0, 0x4000)).when(v1(0, LOG, 0, 0x4000)).thenEvents(
                new MemslotTableUpdated(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(0, LOG, 0, 0x4000)));
        vm(existing(0, LOG, 0, 0x4000)).when(v1(0, 0, 0, 0x4000)).thenEvents(
                new MemslotTableUpdated(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(0, 0, 0, 0x4000)));
        // FINDINGS.md item 6: LOG_DIRTY_PAGES may be added to a READONLY slot that stays READONLY
        vm(existing(0, READONLY, 0, 0x4000)).when(v1(0, READONLY | LOG, 0, 0x4000)).thenEvents(
                new MemslotTableUpdated(MemslotChange.KVM_MR_FLAGS_ONLY, geometry(0, READONLY | LOG, 0, 0x4000)));
    }

    @Test
    void anIdenticalReSetHasNothingToChange() {
        vm(existing(0, 0, 0, 0x4000)).when(v1(0, 0, 0, 0x4000)).thenNothing();
        vm(existing(0, LOG, 0, 0x4000)).when(v1(0, LOG, 0, 0x4000)).thenNothing();
    }

    // ---- kvm_check_memslot_overlap() ----

    @Test
    void creatingOverAnotherSlotOfTheSameAddressSpaceIsEexist() {
        MemslotTableUpdated slot0 = existing(0, 0, 0x10000, 0x4000);
        vm(slot0).when(v1(1, 0, 0x12000, 0x4000)).thenErrno(Errno.EEXIST);
        vm(slot0).when(v1(1, 0, 0x8000, 0x100000)).thenErrno(Errno.EEXIST); // contains slot 0
        vm(slot0).when(v1(1, 0, 0x11000, 0x1000)).thenErrno(Errno.EEXIST); // inside slot 0
        vm(slot0).when(v1(1, 0, 0x14000, 0x1000)).thenEvents(created(1, 0, 0x14000, 0x1000)); // adjacent
        vm(slot0).when(v1(1, 0, 0xc000, 0x4000)).thenEvents(created(1, 0, 0xc000, 0x4000)); // adjacent below
        // the same gpa in the SMM address space is another range
        vm(slot0).when(v1((1L << 16) | 1, 0, 0x10000, 0x4000)).thenEvents(
                created((1L << 16) | 1, 0, 0x10000, 0x4000));
        // two slots may share VMM memory (FINDINGS.md item 6)
        vm(slot0).when(v1At(1, 0, 0x100000, 0x4000, HVA + 0x10000)).thenEvents(new MemslotTableUpdated(
                MemslotChange.KVM_MR_CREATE, new SlotGeometry(1, 0x100, 4, HVA + 0x10000, 0)));
    }

    @Test
    void movingOntoAnotherSlotIsEexistButOntoARangeOverlappingOnlyItselfIsFine() {
        DeciderSpec two = vm(existing(0, 0, 0, 0x10000), existing(1, 0, 0x100000, 0x4000));
        two.when(new SetMemoryRegion(new Request(1, 0, 0x8000, 0x4000, HVA + 0x100000))).thenErrno(Errno.EEXIST);
        two.when(new SetMemoryRegion(new Request(1, 0, 0x102000, 0x4000, HVA + 0x100000))).thenEvents(
                        new MemslotTableUpdated(MemslotChange.KVM_MR_MOVE,
                                new SlotGeometry(1, 0x102, 4, HVA + 0x100000, 0)));
    }

    @Test
    void theOverlapIsCheckedOnlyAfterEveryEinvalRule() {
        MemslotTableUpdated slot0 = existing(0, 0, 0, 0x4000);
        vm(slot0).when(v1(32764, 0, 0, 0x4000)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v1At(1, 0, 0, 0x4000, HVA + 0x800)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v1(1, 8, 0, 0x4000)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v2(1, GUEST_MEMFD, 0, 0x4000, "g0", 0x800)).thenErrno(Errno.EINVAL);
        vm(slot0).when(v2(1, GUEST_MEMFD, 0, 0x4000, "g0", 0)).thenErrno(Errno.EEXIST);
    }

    // kvm_swap_active_memslots(): every committed change, and only a committed one, bumps the generation
    @Test
    void everyCommittedChangeBumpsTheMemslotGeneration() {
        VmState created = (VmState) vm().when(v1(0, 0, 0, 0x4000)).thenEvents(created(0, 0, 0, 0x4000));
        assertEquals(1, created.memslotGeneration());
        VmState moved = (VmState) DeciderSpec.givenState(created).when(v1At(0, 0, 0x100000, 0x4000, HVA))
                .thenEvents(new MemslotTableUpdated(MemslotChange.KVM_MR_MOVE, new SlotGeometry(0, 0x100, 4, HVA, 0)));
        assertEquals(2, moved.memslotGeneration());
        assertEquals(0x100, moved.slots().get(0L).baseGfn());
        DeciderSpec.givenState(moved).when(new SetMemoryRegion(new Request(0, 0, 0x100000, 0x4000, HVA)))
                .thenNothing();
    }

    // ---- the x86 flow around the VM's check ----

    // kvm_arch_prepare_memory_region(): a new or moved slot must end at or below kvm_mmu_max_gfn()
    @Test
    void x86PrepareRefusesACreateOrMoveEndingPastKvmMmuMaxGfn() {
        long top = 1L << 52;
        // the VM's generic checks have nothing against it: the arch does
        vm().when(v1At(0, 0, top, PAGE, HVA)).thenEvents(new MemslotTableUpdated(MemslotChange.KVM_MR_CREATE,
                new SlotGeometry(0, top >>> 12, 1, HVA, 0)));

        StepsSpec past = X86Steps.vm(true).step(at(0, top, PAGE));
        past.thenErrno(Errno.EINVAL);
        assertEquals(List.of(), past.eventsOfLastStep(VM));
        assertEquals(List.of(), past.eventsOfLastStep(slotId(0)));
        assertTrue(((VmState) past.state(VM)).slots().isEmpty());

        X86Steps.vm(true).step(at(0, top - PAGE, PAGE)).thenErrno(null); // ends at 2^52: fine
        X86Steps.vm(true).step(at(0, 0, PAGE)).step(at(0, top, PAGE)).thenErrno(Errno.EINVAL); // a move
        X86Steps.vm(true).step(at(0, 0, PAGE)).step(at(0, top - PAGE, PAGE)).thenErrno(null);
    }

    /** KVM_SET_USER_MEMORY_REGION of slot at gpa, always at hva HVA. */
    private static java.util.function.Function<kvmsim.domain.trace.StepMeta, Step> at(long slot, long gpa,
            long size) {
        return m -> new Step.SetUserMemoryRegion(m, "vm0", slot, 0, gpa, size, HVA);
    }

    // kvm_set_memslot(KVM_MR_DELETE) -> kvm_arch_flush_shadow_memslot(): zap the slot, flush, then swap the table
    @Test
    void aDeleteZapsTheSlotsSptesAndFlushesBeforeTheTableChanges() {
        StepsSpec s = X86Steps.vm(true).step(slot(0, 0, 0, 0x10000)).step(X86Steps.vcpu(0)).step(X86Steps.run(0))
                .step(X86Steps.write(0, 0x1000)).step(slot(0, 0, 0, 0)).thenErrno(null);
        assertEquals(List.of(new MemslotEvent.SptesZapped(List.of(1L)), new MemslotEvent.MemslotDeleted()),
                s.eventsOfLastStep(slotId(0)));
        assertEquals(List.of(RemoteTlbFlushRequested.class, RemoteTlbFlushCompleted.class, MemslotTableUpdated.class),
                s.eventsOfLastStep(VM).stream().map(Object::getClass).toList());
    }

    @Test
    void aDeleteOfASlotWithoutSptesDoesNotFlush() {
        StepsSpec s = X86Steps.vm(true).step(slot(0, 0, 0, 0x10000)).step(X86Steps.vcpu(0)).step(slot(0, 0, 0, 0))
                .thenErrno(null);
        assertEquals(List.of(new MemslotEvent.MemslotDeleted()), s.eventsOfLastStep(slotId(0)));
        assertFalse(X86Steps.flushedAtLastStep(s));
    }

    @Test
    void aMoveZapsTheOldSptesAndFlushesButAFlagsOnlyChangeDoesNot() {
        StepsSpec s = X86Steps.vm(true).step(slot(0, 0, 0, 0x10000)).step(X86Steps.vcpu(0)).step(X86Steps.run(0))
                .step(X86Steps.write(0, 0x1000)).step(m -> new Step.SetUserMemoryRegion(m, "vm0", 0, 0, 0x100000,
                        0x10000, HVA)).thenErrno(null);
        assertEquals(List.of(new MemslotEvent.SptesZapped(List.of(1L)),
                new MemslotEvent.MemslotMoved(new SlotGeometry(0, 0x100, 16, HVA, 0))), s.eventsOfLastStep(slotId(0)));
        assertTrue(X86Steps.flushedAtLastStep(s));
        assertTrue(((MemslotState) s.state(slotId(0))).sptes().isEmpty());

        StepsSpec f = X86Steps.vm(true).step(slot(0, 0, 0, 0x10000)).step(X86Steps.vcpu(0)).step(X86Steps.run(0))
                .step(X86Steps.write(0, 0x1000)).step(slot(0, LOG, 0, 0x10000)).thenErrno(null);
        assertFalse(f.eventsOfLastStep(slotId(0)).stream().anyMatch(e -> e instanceof MemslotEvent.SptesZapped));
        assertTrue(((MemslotState) f.state(slotId(0))).spte(1) != null, "a flags-only change keeps the SPTE");
    }
}
