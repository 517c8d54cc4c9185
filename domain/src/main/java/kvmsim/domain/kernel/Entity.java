package kvmsim.domain.kernel;

import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.host.HostState;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.VmState;

/**
 * Typed reads of entity state through a gateway, so the kernel's code says what it looks at. A
 * read is no message: the gateway's user folds every entity's events itself.
 */
public final class Entity {

    private Entity() {
    }

    public static VmState vm(Gateway gw, String vm) {
        return (VmState) gw.state(EntityId.vm(vm));
    }

    public static VcpuState vcpu(Gateway gw, String vm, long vcpu) {
        return (VcpuState) gw.state(EntityId.vcpu(vm, vcpu));
    }

    public static HostState host(Gateway gw, String host) {
        return (HostState) gw.state(EntityId.host(host));
    }

    public static MemslotState slot(Gateway gw, String vm, long slot) {
        return (MemslotState) gw.state(EntityId.slot(vm, slot));
    }

    /** kvm_for_each_memslot(): every memslot of the VM, in slot order. */
    public static List<MemslotState> slots(Gateway gw, VmState vm) {
        return vm.slotIds().stream().map(id -> (MemslotState) gw.state(id)).toList();
    }

    public static List<VcpuState> vcpus(Gateway gw, VmState vm) {
        return vm.vcpuIds().stream().map(id -> (VcpuState) gw.state(id)).toList();
    }

    /**
     * The outcome of a guest step that cannot happen: the vCPU is a bad fd, or it is not inside
     * KVM_RUN (ENOEXEC); null when the vCPU may take the step.
     */
    public static Outcome refuseGuestStep(VcpuState vcpu) {
        if (!vcpu.created()) {
            return Outcome.of(Errno.EBADF);
        }
        if (!vcpu.inGuest()) {
            return Outcome.of(Errno.ENOEXEC); // kvmsim: a guest step needs a vCPU inside KVM_RUN
        }
        return null;
    }
}
