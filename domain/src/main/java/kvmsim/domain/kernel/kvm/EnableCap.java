package kvmsim.domain.kernel.kvm;

import java.util.EnumSet;
import java.util.List;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.arm64.LockedMemslots;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.vm.PendingOp;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmState;

/** KVM_ENABLE_CAP on a VM fd. */
public final class EnableCap {

    private EnableCap() {
    }

    // kvm_vm_ioctl_enable_cap() (arm64 with the RFC: each cap checks cap->flags itself)
    public static Errno kvmVmIoctlEnableCap(Gateway gw, Policies policies, VmState vm, Cap cap, long flags,
            List<Long> args) {
        if (cap.arch != null && cap.arch != vm.arch()) {
            return Errno.EINVAL; // kvm_vm_ioctl_enable_cap() of this arch does not know the cap
        }
        return switch (cap) {
            case KVM_CAP_ARM_MTE -> enableMte(gw, policies, vm, flags);
            case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 -> gw.send(EntityId.vm(vm.id()),
                    new VmCommand.EnableManualDirtyLogProtect(flags, args.get(0))).errno();
            case KVM_CAP_ARM_LOCK_USER_MEMORY_REGION -> LockedMemslots.lockUserMemoryRegion(gw, policies, vm, flags,
                    args);
            case KVM_CAP_MAX_VCPU_ID -> gw.send(EntityId.vm(vm.id()), new VmCommand.EnableMaxVcpuId(args.get(0)))
                    .errno();
            // kvm_vm_ioctl_enable_cap_generic() -> kvm_vm_ioctl_enable_dirty_log_ring(kvm, u32 size): args[0]
            // truncated to its u32 parameter; cap->flags is not looked at
            case KVM_CAP_DIRTY_LOG_RING, KVM_CAP_DIRTY_LOG_RING_ACQ_REL -> gw.send(EntityId.vm(vm.id()),
                    new VmCommand.EnableDirtyLogRing(args.get(0) & 0xffffffffL,
                    cap == Cap.KVM_CAP_DIRTY_LOG_RING_ACQ_REL)).errno();
            // kvm_vm_ioctl_enable_cap_generic(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP): EINVAL unless
            // CONFIG_NEED_KVM_DIRTY_RING_WITH_BITMAP (arm64), and kvmsim models no ring on arm64, where
            // !kvm->dirty_ring_size is EINVAL too
            case KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP -> Errno.EINVAL;
        };
    }

    // kvm_vm_ioctl_enable_cap(KVM_CAP_ARM_MTE), then the review of seed 000's fix
    private static Errno enableMte(Gateway gw, Policies policies, VmState vm, long flags) {
        Reply r = gw.send(EntityId.vm(vm.id()), new VmCommand.EnableMte(flags));
        if (r.ok() && !vm.hasMte() && !policies.sanitiseTagsOnLock()) {
            // the review's fix: a slot locked before MTE was enabled still needs its tags sanitised
            boolean anyLocked = Entity.slots(gw, vm).stream().anyMatch(MemslotState::locked);
            if (anyLocked) {
                gw.send(EntityId.vm(vm.id()), new VmCommand.SetPendingOps(EnumSet.of(PendingOp.SANITISE_TAGS)));
            }
        }
        return r.errno();
    }
}
