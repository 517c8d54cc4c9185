package kvmsim.domain.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Event;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.testing.DeciderSpec;
import kvmsim.domain.vm.VmCommand.*;
import kvmsim.domain.vm.VmEvent.*;
import org.junit.jupiter.api.Test;

/**
 * The arm64 rules struct kvm decides alone: KVM_CREATE_VM's VM half, kvm_vm_ioctl_create_vcpu()'s
 * limits, KVM_ENABLE_CAP(KVM_CAP_ARM_MTE) and kvm->arch.mmu_pending_ops (set_bit / clear_bit).
 */
class VmRulesTest {

    private static final EntityId VM = EntityId.vm("vm0");

    private static VmCreated arm64(boolean mteSupported) {
        return new VmCreated(Arch.ARM64, null, "host0", mteSupported, false, false, false, 512, 512);
    }

    private static DeciderSpec arm64Vm(Event... more) {
        List<Event> events = new ArrayList<>();
        events.add(arm64(true));
        events.addAll(List.of(more));
        return DeciderSpec.given(VM, events.toArray(Event[]::new));
    }

    private static DeciderSpec withPendingOps(PendingOp... ops) {
        return arm64Vm(new PendingOpsSet(Set.of(ops)));
    }

    // ---- KVM_CREATE_VM ----

    @Test
    void createVm_keepsTheHostsMteAndFwb() {
        HostFeatures f = HostFeatures.defaults(Arch.ARM64).with(HostFeature.FWB, true);
        VmState s = (VmState) DeciderSpec.given(VM).when(new Create(Arch.ARM64, null, "host0", f))
                .thenEvents(new VmCreated(Arch.ARM64, null, "host0", true, true, false, false, 512, 512));
        assertTrue(s.mteSupported() && s.fwb());
        assertEquals(false, s.hasMte(), "KVM_CAP_ARM_MTE is off until enabled");
    }

    @Test
    void createVm_twiceIsEexist() {
        arm64Vm().when(new Create(Arch.ARM64, null, "host0", HostFeatures.defaults(Arch.ARM64)))
                .thenErrno(Errno.EEXIST);
    }

    @Test
    void everyVmIoctlBeforeCreateVmIsEbadf() {
        DeciderSpec.given(VM).when(new CreateVcpu(0)).thenErrno(Errno.EBADF);
        DeciderSpec.given(VM).when(new EnableMte(0)).thenErrno(Errno.EBADF);
        DeciderSpec.given(VM).when(new SetPendingOps(Set.of(PendingOp.FLUSH_DCACHE))).thenErrno(Errno.EBADF);
    }

    // ---- kvm_vm_ioctl_create_vcpu() on arm64 ----

    @Test
    void kvmVmIoctlCreateVcpu_anIdBelowKvmMaxVcpuIdsIsAdded() {
        VmState s = (VmState) arm64Vm().when(new CreateVcpu(511)).thenEvents(new VcpuAdded(511));
        assertEquals(List.of(511L), s.vcpus());
    }

    @Test
    void kvmVmIoctlCreateVcpu_anIdAtOrAboveKvmMaxVcpuIdsIsEinval() {
        arm64Vm().when(new CreateVcpu(512)).thenErrno(Errno.EINVAL);
        arm64Vm().when(new CreateVcpu(1L << 32)).thenErrno(Errno.EINVAL);
        arm64Vm().when(new CreateVcpu(-1)).thenErrno(Errno.EINVAL); // the id is unsigned
    }

    @Test
    void kvmVmIoctlCreateVcpu_aDuplicateIdIsEexist() {
        arm64Vm(new VcpuAdded(3)).when(new CreateVcpu(3)).thenErrno(Errno.EEXIST);
    }

    @Test
    void kvmVmIoctlCreateVcpu_createdVcpusAtMaxVcpusIsEinvalBeforeTheDuplicateCheck() {
        List<Event> all = new ArrayList<>();
        for (long id = 0; id < 512; id++) {
            all.add(new VcpuAdded(id));
        }
        // kvm->created_vcpus >= kvm->max_vcpus is checked before kvm_get_vcpu_by_id()
        arm64Vm(all.toArray(Event[]::new)).when(new CreateVcpu(7)).thenErrno(Errno.EINVAL);
        // one below the limit, a new id is still fine
        arm64Vm(all.subList(1, 512).toArray(Event[]::new)).when(new CreateVcpu(0)).thenEvents(new VcpuAdded(0));
    }

    // ---- KVM_ENABLE_CAP(KVM_CAP_ARM_MTE) ----

    @Test
    void kvmVmIoctlEnableCap_mteOnAHostWithMteEnablesIt() {
        VmState s = (VmState) arm64Vm().when(new EnableMte(0)).thenEvents(new MteEnabled());
        assertTrue(s.hasMte());
        assertEquals(List.of("KVM_CAP_ARM_MTE"), s.caps());
    }

    @Test
    void kvmVmIoctlEnableCap_mteOnAnX86VmIsEinval() {
        DeciderSpec.given(VM, new VmCreated(Arch.X86_64, "KVM_X86_DEFAULT_VM", "host0", false, false, true, true, 1024, 4096))
                .when(new EnableMte(0)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmVmIoctlEnableCap_mteWithFlagsIsEinval() {
        arm64Vm().when(new EnableMte(1)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmVmIoctlEnableCap_mteWithoutSystemSupportsMteIsEinval() {
        DeciderSpec.given(VM, arm64(false)).when(new EnableMte(0)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmVmIoctlEnableCap_mteAfterAVcpuWasCreatedIsEinval() {
        arm64Vm(new VcpuAdded(0)).when(new EnableMte(0)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmVmIoctlEnableCap_mteTwiceSucceedsWithNothingNew() {
        arm64Vm(new MteEnabled()).when(new EnableMte(0)).thenNothing();
    }

    // ---- kvm->arch.mmu_pending_ops ----

    @Test
    void setBit_persistsOnlyTheOpsThatWereNotSet() {
        VmState s = (VmState) withPendingOps(PendingOp.FLUSH_DCACHE)
                .when(new SetPendingOps(Set.of(PendingOp.FLUSH_DCACHE, PendingOp.INVAL_ICACHE)))
                .thenEvents(new PendingOpsSet(Set.of(PendingOp.INVAL_ICACHE)));
        assertEquals(EnumSet.of(PendingOp.FLUSH_DCACHE, PendingOp.INVAL_ICACHE), s.pendingOps());
        assertTrue(s.hasPendingOps());
    }

    @Test
    void setBit_ofOpsAlreadySetChangesNothing() {
        withPendingOps(PendingOp.FLUSH_DCACHE, PendingOp.SANITISE_TAGS)
                .when(new SetPendingOps(Set.of(PendingOp.SANITISE_TAGS))).thenNothing();
    }

    @Test
    void clearBit_persistsOnlyTheOpsThatWereSet() {
        VmState s = (VmState) withPendingOps(PendingOp.FLUSH_DCACHE, PendingOp.SANITISE_TAGS)
                .when(new ClearPendingOps(EnumSet.of(PendingOp.FLUSH_DCACHE, PendingOp.INVAL_ICACHE)))
                .thenEvents(new PendingOpsCleared(Set.of(PendingOp.FLUSH_DCACHE)));
        assertEquals(Set.of(PendingOp.SANITISE_TAGS), s.pendingOps());
    }

    @Test
    void clearBit_ofOpsNotSetChangesNothing() {
        withPendingOps(PendingOp.SANITISE_TAGS).when(new ClearPendingOps(EnumSet.of(PendingOp.FLUSH_DCACHE,
                PendingOp.INVAL_ICACHE))).thenNothing();
        arm64Vm().when(new ClearPendingOps(EnumSet.allOf(PendingOp.class))).thenNothing();
    }

    @Test
    void kvmMmuHasPendingOps_isFalseOnceEveryBitIsCleared() {
        VmState s = (VmState) withPendingOps(PendingOp.FLUSH_DCACHE, PendingOp.INVAL_ICACHE)
                .when(new ClearPendingOps(EnumSet.allOf(PendingOp.class)))
                .thenEvents(new PendingOpsCleared(Set.of(PendingOp.FLUSH_DCACHE, PendingOp.INVAL_ICACHE)));
        assertEquals(false, s.hasPendingOps());
    }
}
