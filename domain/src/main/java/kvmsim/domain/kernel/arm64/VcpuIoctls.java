package kvmsim.domain.kernel.arm64;

import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.ArmTarget;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.VmState;

/** KVM_ARM_VCPU_INIT and KVM_RUN. */
public final class VcpuIoctls {

    private VcpuIoctls() {
    }

    // kvm_arch_vcpu_ioctl_vcpu_init(): set the target, then make a rebooted VM see memory as userspace left it
    public static Errno armVcpuInit(Gateway gw, VmState vm, long vcpu, Long target, long features) {
        if (vm.arch() != Arch.ARM64) {
            return Errno.ENOTTY; // not an ioctl of this arch
        }
        long t = target == null ? ArmTarget.KVM_ARM_TARGET_GENERIC_V8.value() : target;
        Reply r = gw.send(EntityId.vcpu(vm.id(), vcpu), new VcpuCommand.ArmInit(t, features));
        if (!r.ok()) {
            return r.errno();
        }
        boolean reset = r.events().stream().anyMatch(
                e -> e.event() instanceof VcpuEvent.VcpuInitialised i && i.reset());
        if (reset) {
            if (!vm.fwb()) {
                MmuPendingOps.stage2UnmapVm(gw, vm.id());
            } else {
                // FWB keeps the data side coherent, but does not imply CTR_EL0.DIC
                gw.send(EntityId.host(vm.host()), new HostCommand.InvalidateIcacheAll());
            }
        }
        return null;
    }

    // kvm_arch_vcpu_ioctl_run() (arm64, v5 06/38) / kvm_arch_vcpu_ioctl_run() (x86: no init, no pending ops)
    // x86 vcpu_enter_guest(): a soft-full dirty ring returns 0 with KVM_EXIT_DIRTY_RING_FULL, not entering
    public static Outcome run(Gateway gw, VmState vm, long vcpu) {
        EntityId id = EntityId.vcpu(vm.id(), vcpu);
        VcpuState v = Entity.vcpu(gw, vm.id(), vcpu);
        if (!v.created()) {
            return Outcome.of(Errno.EBADF);
        }
        boolean arm64 = vm.arch() == Arch.ARM64;
        if (arm64 && !v.initialised()) {
            return Outcome.of(Errno.ENOEXEC);
        }
        if (arm64 && vm.hasPendingOps()) {
            Errno e = MmuPendingOps.performPendingOps(gw, vm.id());
            if (e != null) {
                gw.send(id, new VcpuCommand.RunFailed());
                return Outcome.of(e);
            }
        }
        Reply r = gw.send(id, new VcpuCommand.EnterGuest(arm64));
        if (r.events().stream().anyMatch(e -> e.event() instanceof VcpuEvent.DirtyRingFullExit)) {
            return Outcome.guest(null, GuestExit.KVM_EXIT_DIRTY_RING_FULL);
        }
        return Outcome.of(r.errno());
    }
}
