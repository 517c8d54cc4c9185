package kvmsim.domain.vm;

import static kvmsim.domain.testing.X86Steps.VM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.testing.DeciderSpec;
import kvmsim.domain.vm.VmCommand.*;
import kvmsim.domain.vm.VmEvent.*;
import org.junit.jupiter.api.Test;

/**
 * What the x86 VM decides alone: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, the vCPU id limits of
 * kvm_vm_ioctl_create_vcpu(), the request and completion of kvm_flush_remote_tlbs(), the memory
 * attributes it stores and its gfn_to_pfn caches (virt/kvm/kvm_main.c, pfncache.c).
 */
class VmX86RulesTest {

    private static final VmCreated X86 = new VmCreated(Arch.X86_64, "KVM_X86_SW_PROTECTED_VM", "host0", false,
            false, true, true, 1024, 4096);

    private static DeciderSpec vm(VmEvent... more) {
        List<VmEvent> events = new ArrayList<>();
        events.add(X86);
        events.addAll(List.of(more));
        return DeciderSpec.given(VM, events.toArray(VmEvent[]::new));
    }

    private static VmState state(VmEvent... more) {
        return (VmState) vm(more).state();
    }

    private static VcpuAdded[] vcpus(int n) {
        VcpuAdded[] added = new VcpuAdded[n];
        for (int i = 0; i < n; i++) {
            added[i] = new VcpuAdded(i);
        }
        return added;
    }

    // ---- the VM fd ----

    @Test
    void anIoctlOnAVmNeverCreatedIsEbadfAndCreatingItTwiceIsEexist() {
        DeciderSpec.given(VM).when(new CreateVcpu(0)).thenErrno(Errno.EBADF);
        DeciderSpec.given(VM).when(new EnableManualDirtyLogProtect(0, 1)).thenErrno(Errno.EBADF);
        vm().when(new Create(Arch.X86_64, "KVM_X86_DEFAULT_VM", "host0", HostFeatures.defaults(Arch.X86_64)))
                .thenErrno(Errno.EEXIST);
    }

    // ---- kvm_vm_ioctl_enable_cap_generic(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) ----

    @Test
    void manualDirtyLogProtectRefusesAnyFlags() {
        vm().when(new EnableManualDirtyLogProtect(1, 1)).thenErrno(Errno.EINVAL);
    }

    @Test
    void initiallySetWithoutEnableIsEinval() {
        vm().when(new EnableManualDirtyLogProtect(0, 2)).thenErrno(Errno.EINVAL);
    }

    @Test
    void bitsOutsideKvmDirtyLogManualCapsAreEinvalWithOrWithoutEnable() {
        vm().when(new EnableManualDirtyLogProtect(0, 4)).thenErrno(Errno.EINVAL);
        vm().when(new EnableManualDirtyLogProtect(0, 5)).thenErrno(Errno.EINVAL);
        vm().when(new EnableManualDirtyLogProtect(0, 6)).thenErrno(Errno.EINVAL);
        vm().when(new EnableManualDirtyLogProtect(0, 1L << 63)).thenErrno(Errno.EINVAL);
    }

    @Test
    void enableAloneMakesGetOnlyCopyAndInitiallySetComesWithIt() {
        VmState enabled = (VmState) vm().when(new EnableManualDirtyLogProtect(0, 1))
                .thenEvents(new ManualDirtyLogProtectSet(1));
        assertTrue(enabled.manualProtect());
        assertFalse(enabled.manualProtectAndInitSet());
        VmState initSet = (VmState) vm().when(new EnableManualDirtyLogProtect(0, 3))
                .thenEvents(new ManualDirtyLogProtectSet(3));
        assertTrue(initSet.manualProtectAndInitSet());
        assertEquals(List.of("KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2"), initSet.caps());
    }

    // kvm->manual_dirty_log_protect = args[0]: 0 turns it off again (kvm-semantics.md §7)
    @Test
    void argsZeroTurnsManualProtectOffAgain() {
        VmState off = (VmState) vm(new ManualDirtyLogProtectSet(3)).when(new EnableManualDirtyLogProtect(0, 0))
                .thenEvents(new ManualDirtyLogProtectSet(0));
        assertFalse(off.manualProtect());
        assertFalse(off.manualProtectAndInitSet());
        assertEquals(List.of(), off.caps());
    }

    // ---- kvm_vm_ioctl_create_vcpu() on x86: KVM_MAX_VCPU_IDS 4096, KVM_MAX_VCPUS 1024 ----

    @Test
    void vcpuIdsGoUpTo4095() {
        vm().when(new CreateVcpu(0)).thenEvents(new VcpuAdded(0));
        vm().when(new CreateVcpu(4095)).thenEvents(new VcpuAdded(4095));
        vm().when(new CreateVcpu(4096)).thenErrno(Errno.EINVAL);
        vm().when(new CreateVcpu(-1)).thenErrno(Errno.EINVAL);
        vm().when(new CreateVcpu(1L << 32)).thenErrno(Errno.EINVAL);
    }

    @Test
    void aDuplicateVcpuIdIsEexist() {
        vm(new VcpuAdded(7)).when(new CreateVcpu(7)).thenErrno(Errno.EEXIST);
    }

    @Test
    void theVcpuAfterKvmMaxVcpusIsEinvalEvenForADuplicateId() {
        vm(vcpus(1023)).when(new CreateVcpu(4000)).thenEvents(new VcpuAdded(4000));
        vm(vcpus(1024)).when(new CreateVcpu(4000)).thenErrno(Errno.EINVAL);
        // created_vcpus >= max_vcpus is checked before the id is looked up
        vm(vcpus(1024)).when(new CreateVcpu(5)).thenErrno(Errno.EINVAL);
    }

    // ---- kvm_flush_remote_tlbs(): the VM's side of the broadcast ----

    @Test
    void aRemoteFlushIsNumberedAndGoesToEveryVcpuCreatedSoFar() {
        VmState asked = (VmState) vm(new VcpuAdded(0), new VcpuAdded(3)).when(new FlushRemoteTlbs("zap-memslot"))
                .thenEvents(new RemoteTlbFlushRequested(1, "zap-memslot", List.of(0L, 3L)));
        assertEquals(List.of(EntityId.vcpu("vm0", 0), EntityId.vcpu("vm0", 3)), asked.awaiting().to());
        assertEquals(1, asked.flushInFlight().seq());
        VmState done = (VmState) DeciderSpec.givenState(asked).when(new CompleteRemoteTlbFlush(1, 1, 1))
                .thenEvents(new RemoteTlbFlushCompleted(1, 1, 1));
        assertNull(done.awaiting());
        DeciderSpec.givenState(done).when(new FlushRemoteTlbs("get-dirty-log"))
                .thenEvents(new RemoteTlbFlushRequested(2, "get-dirty-log", List.of(0L, 3L)));
    }

    @Test
    void aLateOrDuplicateCompletionChangesNothing() {
        VmEvent asked = new RemoteTlbFlushRequested(1, "t", List.of(0L));
        VmEvent completed = new RemoteTlbFlushCompleted(1, 1, 0);
        vm(new VcpuAdded(0), asked, completed).when(new CompleteRemoteTlbFlush(1, 1, 0)).thenNothing();
        vm(new VcpuAdded(0)).when(new CompleteRemoteTlbFlush(1, 1, 0)).thenNothing(); // none in flight
        // flush 2 in flight: an answer to flush 1 does not complete it
        DeciderSpec second = vm(new VcpuAdded(0), asked, completed, new RemoteTlbFlushRequested(2, "t", List.of(0L)));
        second.when(new CompleteRemoteTlbFlush(1, 1, 0)).thenNothing();
        assertEquals(2, ((VmState) second.state()).flushInFlight().seq());
    }

    // ---- kvm_vm_set_mem_attributes(): what the VM stores once the SPTEs were zapped ----

    @Test
    void memoryAttributesAreStoredPerRangeAndSharedSplitsAPrivateRange() {
        VmState priv = (VmState) vm().when(new SetMemoryAttributes(0, 4, true))
                .thenEvents(new MemoryAttributesSet(0, 4, true));
        assertTrue(priv.isPrivate(0) && priv.isPrivate(3));
        assertFalse(priv.isPrivate(4));
        VmState split = (VmState) DeciderSpec.givenState(priv).when(new SetMemoryAttributes(1, 2, false))
                .thenEvents(new MemoryAttributesSet(1, 2, false));
        assertTrue(split.isPrivate(0));
        assertFalse(split.isPrivate(1));
        assertTrue(split.isPrivate(2));
        assertEquals(List.of(new MemoryAttributes.Range(0, 1), new MemoryAttributes.Range(2, 4)),
                split.attributes().privateRanges());
        assertTrue(split.attributes().uniformly(2, 4, true), "kvm_range_has_memory_attributes()");
        assertFalse(split.attributes().uniformly(0, 4, true));
    }

    // ---- gfn_to_pfn caches (pfncache.c) ----

    @Test
    void kvmGpcActivateResetsAnInactiveCacheAndLeavesAnActiveOneAlone() {
        VmState active = (VmState) vm().when(new ActivateGpc("c", 8)).thenEvents(new GpcActivated("c", 8));
        Gpc c = active.gpc("c");
        assertTrue(c.active());
        assertFalse(c.valid());
        assertFalse(c.mapped());
        vm(new GpcActivated("c", 8)).when(new ActivateGpc("c", 16)).thenNothing();
    }

    @Test
    void aRefreshCommitsOnlyToAnActiveCache() {
        vm().when(new CommitGpcRefresh("c", 0x1000, 1, 0x7f0000001000L, 0x7f0000001L, false))
                .thenErrno(Errno.EINVAL);
        VmState valid = (VmState) vm(new GpcActivated("c", 8))
                .when(new CommitGpcRefresh("c", 0x1000, 1, 0x7f0000001000L, 0x7f0000001L, false))
                .thenEvents(new GpcRefreshed("c", 0x1000, 1, 0x7f0000001000L, 0x7f0000001L, false));
        assertTrue(valid.gpc("c").check(1), "kvm_gpc_check() in the generation it was made in");
        assertFalse(valid.gpc("c").check(2), "a memslot change makes it stale");
    }

    // __kvm_gpc_refresh()'s error exit: invalid, pfn KVM_PFN_ERR_FAULT, khva NULL
    @Test
    void aFailedRefreshLeavesTheCacheActiveInvalidAndUnmapped() {
        VmState failed = (VmState) vm(new GpcActivated("c", 8),
                new GpcRefreshed("c", 0x1000, 1, 0x7f0000001000L, 0x7f0000001L, false))
                .when(new FailGpcRefresh("c", 0x900000, 1, Gpc.KVM_HVA_ERR_BAD))
                .thenEvents(new GpcRefreshFailed("c", 0x900000, 1, Gpc.KVM_HVA_ERR_BAD));
        Gpc c = failed.gpc("c");
        assertTrue(c.active());
        assertFalse(c.valid());
        assertEquals(Gpc.KVM_PFN_ERR_FAULT, c.pfn());
        assertEquals(0x900000, c.gpa());
    }

    // gfn_to_pfn_cache_invalidate_start(): only valid caches lose validity; their mapping stays
    @Test
    void invalidationTouchesOnlyValidCaches() {
        VmEvent[] two = {new GpcActivated("a", 8), new GpcActivated("b", 8),
                new GpcRefreshed("b", 0x2000, 1, 0x7f0000002000L, 0x7f0000002L, false)};
        VmState after = (VmState) vm(two).when(new InvalidateGpcs(List.of("b", "a")))
                .thenEvents(new GpcInvalidated(List.of("b")));
        assertFalse(after.gpc("b").valid());
        assertTrue(after.gpc("b").mapped(), "unmapped only by the next refresh or deactivate");
        vm(new GpcActivated("a", 8)).when(new InvalidateGpcs(List.of("a"))).thenNothing();
    }

    @Test
    void kvmGpcDeactivateUnmapsAnActiveCacheAndIgnoresAnInactiveOne() {
        VmState off = (VmState) vm(new GpcActivated("c", 8),
                new GpcRefreshed("c", 0x1000, 1, 0x7f0000001000L, 0x7f0000001L, false))
                .when(new DeactivateGpc("c")).thenEvents(new GpcDeactivated("c"));
        assertFalse(off.gpc("c").active());
        assertFalse(off.gpc("c").valid(), "G2: never valid and inactive");
        assertFalse(off.gpc("c").mapped());
        vm().when(new DeactivateGpc("c")).thenNothing();
        DeciderSpec.givenState(off).when(new DeactivateGpc("c")).thenNothing();
        DeciderSpec.givenState(off).when(new ActivateGpc("c", 8)).thenEvents(new GpcActivated("c", 8));
    }
}
