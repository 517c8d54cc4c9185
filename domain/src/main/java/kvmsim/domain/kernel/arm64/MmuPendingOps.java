package kvmsim.domain.kernel.arm64;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.vm.PendingOp;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmState;

/** The deferred MMU operations of locked memslots: who sets them and how KVM_RUN drains them. */
public final class MmuPendingOps {

    private MmuPendingOps() {
    }

    // kvm_mmu_perform_pending_ops() (v5 06/38): under slots_lock, re-checked, in the kernel's order
    public static Errno performPendingOps(Gateway gw, String vmId) {
        VmState vm = Entity.vm(gw, vmId);
        if (!vm.hasPendingOps()) {
            return null;
        }
        List<MemslotState> locked = lockedSlots(gw, vm);
        EntityId host = EntityId.host(vm.host());
        if (vm.hasMte() && vm.pendingOps().contains(PendingOp.SANITISE_TAGS)) {
            for (MemslotState slot : locked) {
                Reply r = gw.send(host, new HostCommand.SanitiseMteTagsMemslot(slot.hva(), slot.npages()));
                if (!r.ok()) {
                    return r.errno(); // the bits stay set: every KVM_RUN fails until userspace fixes its VMAs
                }
            }
            gw.send(EntityId.vm(vmId), new VmCommand.ClearPendingOps(EnumSet.of(PendingOp.SANITISE_TAGS)));
        }
        if (vm.pendingOps().contains(PendingOp.FLUSH_DCACHE) && !vm.fwb()) {
            // stage2_flush_memslot(); with FWB kvm_pgtable_stage2_flush() has nothing to do
            for (MemslotState slot : locked) {
                gw.send(host, new HostCommand.CleanDcache(slot.hva(), slot.npages()));
            }
        }
        if (vm.pendingOps().contains(PendingOp.INVAL_ICACHE)) {
            gw.send(host, new HostCommand.InvalidateIcacheAll());
        }
        // SANITISE_TAGS is cleared only once sanitised: without MTE it stays (Reiji's review of v5 06/38)
        gw.send(EntityId.vm(vmId),
                new VmCommand.ClearPendingOps(EnumSet.of(PendingOp.FLUSH_DCACHE, PendingOp.INVAL_ICACHE)));
        return null;
    }

    // stage2_unmap_vm() (v4 05/39, v5 06/38): locked slots get CMOs on the next run, the rest is unmapped
    public static void stage2UnmapVm(Gateway gw, String vmId) {
        VmState vm = Entity.vm(gw, vmId);
        Set<PendingOp> ops = EnumSet.noneOf(PendingOp.class);
        for (MemslotState slot : Entity.slots(gw, vm)) {
            if (slot.locked()) {
                ops.add(PendingOp.FLUSH_DCACHE);
                ops.add(PendingOp.INVAL_ICACHE);
                if (vm.hasMte()) {
                    ops.add(PendingOp.SANITISE_TAGS); // the MTE cap is final once a vCPU has run
                }
                continue;
            }
            gw.send(EntityId.slot(vmId, slot.slot()),
                    new MemslotCommand.Stage2Unmap(slot.geometry().baseGfn(), slot.npages()));
        }
        if (!ops.isEmpty()) {
            gw.send(EntityId.vm(vmId), new VmCommand.SetPendingOps(ops));
        }
    }

    static List<MemslotState> lockedSlots(Gateway gw, VmState vm) {
        return Entity.slots(gw, vm).stream().filter(MemslotState::locked).toList();
    }
}
