package kvmsim.domain.kernel;

import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostState;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmState;

/** Typed reads through a gateway, so the kernel's code says what it looks at. */
public final class Entity {

    private Entity() {
    }

    public static VmState vm(Gateway gw, String vm) {
        return gw.send(EntityId.vm(vm), new VmCommand.Query()).stateAs(VmState.class);
    }

    public static VcpuState vcpu(Gateway gw, String vm, long vcpu) {
        return gw.send(EntityId.vcpu(vm, vcpu), new VcpuCommand.Query()).stateAs(VcpuState.class);
    }

    public static HostState host(Gateway gw, String host) {
        return gw.send(EntityId.host(host), new HostCommand.Query()).stateAs(HostState.class);
    }

    public static MemslotState slot(Gateway gw, String vm, long slot) {
        return gw.send(EntityId.slot(vm, slot), new MemslotCommand.Query()).stateAs(MemslotState.class);
    }

    /** kvm_for_each_memslot(): every memslot of the VM, in slot order. */
    public static List<MemslotState> slots(Gateway gw, VmState vm) {
        List<MemslotState> out = new ArrayList<>();
        for (Reply r : gw.broadcast(vm.slotIds(), new MemslotCommand.Query())) {
            out.add(r.stateAs(MemslotState.class));
        }
        return out;
    }

    public static List<VcpuState> vcpus(Gateway gw, VmState vm) {
        List<VcpuState> out = new ArrayList<>();
        for (Reply r : gw.broadcast(vm.vcpuIds(), new VcpuCommand.Query())) {
            out.add(r.stateAs(VcpuState.class));
        }
        return out;
    }

    /**
     * The outcome of a guest step that cannot happen: the vCPU is a bad fd, or it is not inside
     * KVM_RUN (ENOEXEC); null when the vCPU in {@code vcpuQuery} may take the step.
     */
    public static Outcome refuseGuestStep(Reply vcpuQuery) {
        if (!vcpuQuery.ok()) {
            return Outcome.of(vcpuQuery.errno());
        }
        if (!vcpuQuery.stateAs(VcpuState.class).inGuest()) {
            return Outcome.of(kvmsim.domain.abi.Errno.ENOEXEC); // kvmsim: a guest step needs a vCPU inside KVM_RUN
        }
        return null;
    }
}
