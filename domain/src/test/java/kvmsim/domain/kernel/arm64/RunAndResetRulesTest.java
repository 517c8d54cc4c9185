package kvmsim.domain.kernel.arm64;

import static kvmsim.domain.kernel.arm64.Arm64Steps.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.ArmTarget;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.MemslotFlag;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostEvent.DcacheCleaned;
import kvmsim.domain.host.HostEvent.IcacheInvalidated;
import kvmsim.domain.host.HostEvent.IcacheInvalidatedAll;
import kvmsim.domain.host.HostEvent.MteTagsSanitised;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.memslot.MemslotEvent.Stage2Mapped;
import kvmsim.domain.memslot.MemslotEvent.Stage2Unmapped;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuEvent.GuestAccessed;
import kvmsim.domain.vcpu.VcpuEvent.VcpuEnteredGuest;
import kvmsim.domain.vcpu.VcpuEvent.VcpuInitialised;
import kvmsim.domain.vcpu.VcpuEvent.VcpuLeftGuest;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.PendingOp;
import kvmsim.domain.vm.VmEvent.MteEnabled;
import kvmsim.domain.vm.VmEvent.PendingOpsCleared;
import kvmsim.domain.vm.VmEvent.PendingOpsSet;
import kvmsim.domain.vm.VmState;
import org.junit.jupiter.api.Test;

/**
 * arm64 KVM_RUN (kvm_arch_vcpu_ioctl_run() with kvm_mmu_perform_pending_ops(), RFC v5 06/38),
 * KVM_ARM_VCPU_INIT on a vCPU that ran (stage2_unmap_vm(), v4 05/39 and seed 003), the MTE cap
 * after a lock (seed 000 and its review) and guest aborts (kvm_handle_guest_abort() /
 * user_mem_abort(), 5.15), as flows across the host, the VM, its slots and its vCPUs.
 */
class RunAndResetRulesTest {

    private static final long HVA = 0x7f0000000000L;
    private static final long HVA1 = HVA + 4 * PAGE;
    private static final long GPA0 = 0x80000000L;
    private static final long GPA1 = 0x90000000L;
    private static final long BASE0 = Pages.pageOf(GPA0);
    private static final long BASE1 = Pages.pageOf(GPA1);
    private static final long P0 = Pages.pageOf(HVA);
    private static final long NO_SLOT_GPA = 0x10000000L;
    private static final long GENERIC = ArmTarget.KVM_ARM_TARGET_GENERIC_V8.value();
    private static final EntityId HOST_ID = EntityId.host(HOST);
    private static final EntityId VM_ID = EntityId.vm(VM);
    private static final EntityId SLOT0 = EntityId.slot(VM, 0);
    private static final EntityId SLOT1 = EntityId.slot(VM, 1);
    private static final EntityId VCPU0 = EntityId.vcpu(VM, 0);
    private static final Map<String, String> ON_LOCK = Map.of("sanitise-tags", "on-lock");

    /** vm0 on a host with {@code f}, KVM_CAP_ARM_MTE if {@code mte}, slot 0 (4 pages at HVA) locked READ. */
    private static StepsSpec lockedSlot0(HostFeatures f, boolean mte) {
        StepsSpec spec = arm64Vm(f);
        if (mte) {
            spec.step(enableMte());
        }
        return spec.step(region(0, 0, GPA0, 4, HVA)).step(lock(0, READ));
    }

    /** lockedSlot0() with vCPU 0 created and initialised, not yet run. */
    private static StepsSpec readyToRun(HostFeatures f, boolean mte) {
        return lockedSlot0(f, mte).step(createVcpu(0)).step(init(0));
    }

    /** Unlocked slot 0 (4 pages at HVA) and read-only slot 1 (4 pages at HVA1), vCPU 0 inside KVM_RUN. */
    private static StepsSpec inGuest(HostFeatures f, boolean mte) {
        StepsSpec spec = arm64Vm(f);
        if (mte) {
            spec.step(enableMte());
        }
        return spec.step(region(0, 0, GPA0, 4, HVA)).step(region(1, MemslotFlag.KVM_MEM_READONLY.value(), GPA1, 4,
                HVA1)).step(createVcpu(0)).step(init(0)).step(run(0));
    }

    private static StepsSpec inGuest() {
        return inGuest(features(true, false), false);
    }

    private static void assertResult(StepsSpec spec, Errno errno, GuestExit exit) {
        StepResult r = spec.run();
        assertEquals(errno, r.errno());
        assertEquals(exit, r.exit());
    }

    private static VmState vm(StepsSpec spec) {
        return (VmState) spec.state(VM_ID);
    }

    // ---- kvm_arch_vcpu_ioctl_run(): the checks before entry ----

    @Test
    void kvmArchVcpuIoctlRun_beforeKvmArmVcpuInitIsEnoexecAndLeavesPendingOps() {
        StepsSpec spec = lockedSlot0(features(true, false), false).step(createVcpu(0)).step(run(0))
                .thenErrno(Errno.ENOEXEC);
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
        assertEquals(Set.of(PendingOp.FLUSH_DCACHE), vm(spec).pendingOps());
    }

    @Test
    void kvmArchVcpuIoctlRun_onAVcpuNeverCreatedIsEbadf() {
        arm64Vm().step(run(3)).thenErrno(Errno.EBADF);
    }

    @Test
    void kvmArchVcpuIoctlRun_withoutPendingOpsEntersTheGuestAndTouchesNothingElse() {
        StepsSpec spec = arm64Vm().step(region(0, 0, GPA0, 4, HVA)).step(createVcpu(0)).step(init(0)).step(run(0))
                .thenErrno(null);
        assertEquals(List.of(new VcpuEnteredGuest()), spec.eventsOfLastStep(VCPU0));
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
    }

    // ---- kvm_mmu_perform_pending_ops() ----

    @Test
    void kvmMmuPerformPendingOps_sanitisesTagsThenFlushesTheDcacheThenEnters() {
        StepsSpec spec = readyToRun(features(true, false), true).step(run(0)).thenErrno(null);
        assertEquals(List.of(new MteTagsSanitised(List.of(P0, P0 + 1, P0 + 2, P0 + 3)), new DcacheCleaned(HVA, 4)),
                spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new PendingOpsCleared(Set.of(PendingOp.SANITISE_TAGS)),
                new PendingOpsCleared(Set.of(PendingOp.FLUSH_DCACHE))), spec.eventsOfLastStep(VM_ID));
        assertEquals(List.of(new VcpuEnteredGuest()), spec.eventsOfLastStep(VCPU0));
        assertFalse(vm(spec).hasPendingOps());
    }

    @Test
    void kvmMmuPerformPendingOps_withFwbTheDcacheFlushHasNothingToDo() {
        StepsSpec spec = readyToRun(features(false, true), false).step(run(0)).thenErrno(null);
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new PendingOpsCleared(Set.of(PendingOp.FLUSH_DCACHE))), spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void kvmMmuPerformPendingOps_aVmSharedVmaIsEfaultAndKeepsEveryBit() {
        StepsSpec spec = arm64Vm().step(enableMte()).step(mmap(HVA, 4 * PAGE, true)).step(region(0, 0, GPA0, 4, HVA))
                .step(lock(0, READ)).step(createVcpu(0)).step(init(0)).step(run(0)).thenErrno(Errno.EFAULT);
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
        assertEquals(Set.of(PendingOp.FLUSH_DCACHE, PendingOp.SANITISE_TAGS), vm(spec).pendingOps());
        assertFalse(((VcpuState) spec.state(VCPU0)).inGuest());
        // every KVM_RUN fails until userspace fixes its VMAs
        spec.step(run(0)).thenErrno(Errno.EFAULT);
    }

    @Test
    void kvmMmuPerformPendingOps_stopsAtTheFirstSlotThatFailsWithEarlierSlotsSanitised() {
        StepsSpec spec = arm64Vm().step(enableMte()).step(mmap(HVA, 4 * PAGE, false)).step(mmap(HVA1, 4 * PAGE, true))
                .step(region(0, 0, GPA0, 4, HVA)).step(region(1, 0, GPA1, 4, HVA1)).step(lock(0, READ))
                .step(lock(1, READ)).step(createVcpu(0)).step(init(0)).step(run(0)).thenErrno(Errno.EFAULT);
        assertEquals(List.of(new MteTagsSanitised(List.of(P0, P0 + 1, P0 + 2, P0 + 3))),
                spec.eventsOfLastStep(HOST_ID));
        assertEquals(Set.of(PendingOp.FLUSH_DCACHE, PendingOp.SANITISE_TAGS), vm(spec).pendingOps());
    }

    @Test
    void kvmMmuPerformPendingOps_withoutMteUnderOnLockSanitiseTagsStaysSet() {
        StepsSpec spec = readyToRun(features(true, false), false).policies(ON_LOCK).step(run(0)).thenErrno(null);
        assertEquals(List.of(new DcacheCleaned(HVA, 4)), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new PendingOpsCleared(Set.of(PendingOp.FLUSH_DCACHE))), spec.eventsOfLastStep(VM_ID));
        assertEquals(Set.of(PendingOp.SANITISE_TAGS), vm(spec).pendingOps());
        // the next KVM_RUN finds the bit set again, and nothing to do
        spec.step(createVcpu(1)).step(init(1)).step(run(1)).thenErrno(null);
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
    }

    // ---- KVM_ARM_VCPU_INIT on a vCPU that ran: stage2_unmap_vm() ----

    /** Locked slot 0, unlocked slot 1 with gfn BASE1 faulted in, vCPU 0 inside KVM_RUN. */
    private static StepsSpec ranWithAnUnlockedMapping(HostFeatures f, boolean mte) {
        return lockedSlot0(f, mte).step(region(1, 0, GPA1, 4, HVA1)).step(createVcpu(0)).step(init(0))
                .step(run(0)).step(guest(0, GuestAccessKind.READ, GPA1));
    }

    @Test
    void stage2UnmapVm_locksSlotsGetCmosOnTheNextRunAndUnlockedSlotsAreUnmapped() {
        StepsSpec spec = ranWithAnUnlockedMapping(features(true, false), false).step(init(0)).thenErrno(null);
        assertEquals(List.of(new VcpuInitialised(GENERIC, 0, true)), spec.eventsOfLastStep(VCPU0));
        assertEquals(List.of(new PendingOpsSet(Set.of(PendingOp.FLUSH_DCACHE, PendingOp.INVAL_ICACHE))),
                spec.eventsOfLastStep(VM_ID));
        assertEquals(List.of(new Stage2Unmapped(BASE1, 4)), spec.eventsOfLastStep(SLOT1));
        assertEquals(List.of(), spec.eventsOfLastStep(SLOT0));
        assertEquals(4, ((MemslotState) spec.state(SLOT0)).stage2().size(), "a locked slot stays mapped");
    }

    @Test
    void stage2UnmapVm_withMteAlsoSetsSanitiseTags() {
        StepsSpec spec = ranWithAnUnlockedMapping(features(true, false), true).step(init(0)).thenErrno(null);
        assertEquals(List.of(new PendingOpsSet(Set.of(PendingOp.FLUSH_DCACHE, PendingOp.INVAL_ICACHE,
                PendingOp.SANITISE_TAGS))), spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void kvmMmuPerformPendingOps_afterAResetFlushesTheDcacheThenInvalidatesTheIcache() {
        StepsSpec spec = ranWithAnUnlockedMapping(features(true, false), false).step(init(0)).step(run(0))
                .thenErrno(null);
        assertEquals(List.of(new DcacheCleaned(HVA, 4), new IcacheInvalidatedAll()), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new PendingOpsCleared(Set.of(PendingOp.FLUSH_DCACHE, PendingOp.INVAL_ICACHE))),
                spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void kvmArchVcpuIoctlVcpuInit_withFwbAResetOnlyInvalidatesTheIcache() {
        StepsSpec spec = ranWithAnUnlockedMapping(features(false, true), false).step(init(0)).thenErrno(null);
        assertEquals(List.of(new IcacheInvalidatedAll()), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(SLOT1));
        assertEquals(1, ((MemslotState) spec.state(SLOT1)).stage2().size());
    }

    @Test
    void kvmArchVcpuIoctlVcpuInit_ofAVcpuThatNeverRanIsNoReset() {
        StepsSpec spec = readyToRun(features(true, false), false).step(init(0)).thenErrno(null);
        assertEquals(List.of(new VcpuInitialised(GENERIC, 0, false)), spec.eventsOfLastStep(VCPU0));
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
    }

    @Test
    void kvmArchVcpuIoctlVcpuInit_aRefusedInitDoesNoReset() {
        StepsSpec spec = ranWithAnUnlockedMapping(features(true, false), false)
                .step(m -> new Step.ArmVcpuInit(m, VM, 0, null, 1L << 2)).thenErrno(Errno.EINVAL);
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(SLOT1));
    }

    @Test
    void kvmArchVcpuIoctl_kvmArmVcpuInitOnAnX86VcpuIsRefusedAndInitialisesNothing() {
        // the errno is not asserted: kvmsim answers ENOTTY, x86's kvm_arch_vcpu_ioctl() falls to "default: r = -EINVAL"
        StepsSpec spec = new StepsSpec()
                .step(m -> new Step.HostDecl(m, HOST, Arch.X86_64, HostFeatures.defaults(Arch.X86_64), false))
                .step(m -> new Step.CreateVm(m, VM, HOST, Arch.X86_64, "KVM_X86_DEFAULT_VM")).step(createVcpu(0))
                .step(init(0));
        assertNotNull(spec.run().errno());
        assertEquals(List.of(), spec.eventsOfLastStep(VCPU0));
        assertFalse(((VcpuState) spec.state(VCPU0)).initialised());
    }

    // ---- KVM_ENABLE_CAP(KVM_CAP_ARM_MTE) after a lock (seed 000 and the review's fix) ----

    @Test
    void enableMte_afterALockUnderMteOnlySetsSanitiseTags() {
        StepsSpec spec = lockedSlot0(features(true, false), false).step(enableMte()).thenErrno(null);
        assertEquals(List.of(new MteEnabled(), new PendingOpsSet(Set.of(PendingOp.SANITISE_TAGS))),
                spec.eventsOfLastStep(VM_ID));
        // and the first KVM_RUN sanitises the locked slot's tags
        spec.step(createVcpu(0)).step(init(0)).step(run(0)).thenErrno(null);
        assertEquals(List.of(new MteTagsSanitised(List.of(P0, P0 + 1, P0 + 2, P0 + 3)), new DcacheCleaned(HVA, 4)),
                spec.eventsOfLastStep(HOST_ID));
    }

    @Test
    void enableMte_underOnLockFindsSanitiseTagsAlreadySet() {
        StepsSpec spec = lockedSlot0(features(true, false), false).policies(ON_LOCK).step(enableMte())
                .thenErrno(null);
        assertEquals(List.of(new MteEnabled()), spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void enableMte_withNoLockedSlotSetsNoPendingOp() {
        StepsSpec spec = arm64Vm().step(region(0, 0, GPA0, 4, HVA)).step(enableMte()).thenErrno(null);
        assertEquals(List.of(new MteEnabled()), spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void enableMte_aSecondTimeSetsNothing() {
        StepsSpec spec = lockedSlot0(features(true, false), false).step(enableMte()).step(enableMte())
                .thenErrno(null);
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
    }

    @Test
    void enableMte_afterAVcpuExistsIsEinvalAndSetsNothing() {
        StepsSpec spec = lockedSlot0(features(true, false), false).step(createVcpu(0)).step(enableMte())
                .thenErrno(Errno.EINVAL);
        assertEquals(List.of(), spec.eventsOfLastStep(VM_ID));
    }

    // ---- kvm_handle_guest_abort() / user_mem_abort() ----

    @Test
    void kvmHandleGuestAbort_noMemslotIsMmioForUserspace() {
        StepsSpec spec = inGuest().step(guest(0, GuestAccessKind.READ, NO_SLOT_GPA));
        assertResult(spec, null, GuestExit.KVM_EXIT_MMIO);
        assertEquals(List.of(new GuestAccessed(GuestAccessKind.READ, NO_SLOT_GPA, -1, -1, GuestExit.KVM_EXIT_MMIO,
                false, null)), spec.eventsOfLastStep(VCPU0));
    }

    @Test
    void kvmHandleGuestAbort_aWriteToAReadonlySlotIsMmio() {
        StepsSpec spec = inGuest().step(guest(0, GuestAccessKind.WRITE, GPA1));
        assertResult(spec, null, GuestExit.KVM_EXIT_MMIO);
        assertEquals(List.of(new GuestAccessed(GuestAccessKind.WRITE, GPA1, 1, -1, GuestExit.KVM_EXIT_MMIO, false,
                null)), spec.eventsOfLastStep(VCPU0));
        assertEquals(List.of(), spec.eventsOfLastStep(SLOT1));
    }

    @Test
    void userMemAbort_aReadOfAReadonlySlotIsMapped() {
        StepsSpec spec = inGuest().step(guest(0, GuestAccessKind.READ, GPA1));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(new Stage2Mapped(BASE1, 1, false, false)), spec.eventsOfLastStep(SLOT1));
    }

    @Test
    void userMemAbort_aTranslationFaultCleansTheDcacheAndMapsThePage() {
        StepsSpec spec = inGuest().step(guest(0, GuestAccessKind.WRITE, GPA0 + PAGE + 8));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(new DcacheCleaned(HVA + PAGE, 1)), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new Stage2Mapped(BASE0 + 1, 1, true, false)), spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(new GuestAccessed(GuestAccessKind.WRITE, GPA0 + PAGE + 8, 0, P0 + 1, GuestExit.NONE,
                true, null)), spec.eventsOfLastStep(VCPU0));
    }

    @Test
    void userMemAbort_withMteATranslationFaultSanitisesThePageFirst() {
        StepsSpec spec = inGuest(features(true, false), true).step(guest(0, GuestAccessKind.READ, GPA0));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(new MteTagsSanitised(List.of(P0)), new DcacheCleaned(HVA, 1)),
                spec.eventsOfLastStep(HOST_ID));
    }

    @Test
    void userMemAbort_anExecTranslationFaultAlsoInvalidatesTheIcache() {
        StepsSpec spec = inGuest().step(guest(0, GuestAccessKind.EXEC, GPA0));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(new DcacheCleaned(HVA, 1), new IcacheInvalidated(HVA, 1)),
                spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new Stage2Mapped(BASE0, 1, false, true)), spec.eventsOfLastStep(SLOT0));
    }

    @Test
    void userMemAbort_withFwbATranslationFaultCleansNoDcache() {
        StepsSpec spec = inGuest(features(false, true), false).step(guest(0, GuestAccessKind.READ, GPA0));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new Stage2Mapped(BASE0, 1, false, false)), spec.eventsOfLastStep(SLOT0));
    }

    @Test
    void userMemAbort_aPageWithoutAVmaIsEfaultWithKvmExitMemoryFault() {
        StepsSpec spec = arm64Vm().step(mmap(HVA + 64 * PAGE, PAGE, false)).step(region(0, 0, GPA0, 4, HVA))
                .step(createVcpu(0)).step(init(0)).step(run(0)).step(guest(0, GuestAccessKind.READ, GPA0));
        assertResult(spec, Errno.EFAULT, GuestExit.KVM_EXIT_MEMORY_FAULT);
        assertEquals(List.of(new GuestAccessed(GuestAccessKind.READ, GPA0, 0, P0, GuestExit.KVM_EXIT_MEMORY_FAULT,
                true, null), new VcpuLeftGuest()), spec.eventsOfLastStep(VCPU0));
        assertEquals(List.of(), spec.eventsOfLastStep(SLOT0));
        // KVM_RUN returned: the next guest step has no KVM_RUN to happen in
        spec.step(guest(0, GuestAccessKind.READ, GPA0 + PAGE)).thenErrno(Errno.ENOEXEC);
    }

    @Test
    void userMemAbort_aPermissionFaultAddingXInvalidatesThePagesIcache() {
        StepsSpec spec = inGuest().step(guest(0, GuestAccessKind.READ, GPA0 + PAGE))
                .step(guest(0, GuestAccessKind.EXEC, GPA0 + PAGE));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(new IcacheInvalidated(HVA + PAGE, 1)), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new Stage2Mapped(BASE0 + 1, 1, false, true)), spec.eventsOfLastStep(SLOT0));
    }

    @Test
    void userMemAbort_onALoggingSlotAReadMapsROnlyAndAWritePermissionFaultAddsWWithoutCmo() {
        // logging_active && !write_fault: the read maps the (already writable) page without W; the write then
        // takes a permission fault that kvm_pgtable_stage2_relax_perms() fixes, with no CMO
        StepsSpec spec = arm64Vm().step(region(0, MemslotFlag.KVM_MEM_LOG_DIRTY_PAGES.value(), GPA0, 4, HVA))
                .step(userspaceWrite(GPA0, 8)).step(createVcpu(0)).step(init(0)).step(run(0))
                .step(guest(0, GuestAccessKind.READ, GPA0));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(new Stage2Mapped(BASE0, 1, false, false)), spec.eventsOfLastStep(SLOT0));
        spec.step(guest(0, GuestAccessKind.WRITE, GPA0));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(new Stage2Mapped(BASE0, 1, true, false)), spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(new GuestAccessed(GuestAccessKind.WRITE, GPA0, 0, P0, GuestExit.NONE, true, null)),
                spec.eventsOfLastStep(VCPU0));
    }

    @Test
    void anAccessTheLeafAllowsTakesNoFault() {
        StepsSpec spec = inGuest().step(guest(0, GuestAccessKind.WRITE, GPA0))
                .step(guest(0, GuestAccessKind.READ, GPA0));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
        assertEquals(List.of(), spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(new GuestAccessed(GuestAccessKind.READ, GPA0, 0, P0, GuestExit.NONE, false, null)),
                spec.eventsOfLastStep(VCPU0));
    }

    @Test
    void aLockedSlotIsAlreadyMappedSoAReadTakesNoFault() {
        StepsSpec spec = readyToRun(features(true, false), false).step(run(0))
                .step(guest(0, GuestAccessKind.READ, GPA0 + 3 * PAGE));
        assertResult(spec, null, GuestExit.NONE);
        assertEquals(List.of(), spec.eventsOfLastStep(SLOT0));
        assertEquals(List.of(), spec.eventsOfLastStep(HOST_ID));
    }

    @Test
    void aGuestStepOutsideKvmRunIsEnoexec() {
        arm64Vm().step(region(0, 0, GPA0, 4, HVA)).step(createVcpu(0)).step(init(0))
                .step(guest(0, GuestAccessKind.READ, GPA0)).thenErrno(Errno.ENOEXEC);
        arm64Vm().step(guest(7, GuestAccessKind.READ, GPA0)).thenErrno(Errno.EBADF);
    }
}
