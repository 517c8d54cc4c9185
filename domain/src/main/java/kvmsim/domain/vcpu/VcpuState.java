package kvmsim.domain.vcpu;

import kvmsim.domain.kernel.EntityState;

/**
 * struct kvm_vcpu. A vCPU in guest mode is inside KVM_RUN and so holds vcpu->mutex; it stays there
 * until its next vCPU ioctl (a reset with KVM_ARM_VCPU_INIT, or a KVM_RUN that fails).
 */
public record VcpuState(String vm, long id, boolean created, boolean initialised, long target, long features,
        boolean hasRunOnce, boolean inGuest) implements EntityState {

    public static VcpuState initial(String vm, long id) {
        return new VcpuState(vm, id, false, false, 0, 0, false, false);
    }
}
