package kvmsim.domain.kernel.dirty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vm.VmState;

/**
 * The dirty ring (virt/kvm/dirty_ring.c): the pushes of mark_page_dirty_in_slot(), the soft-full
 * exit, the VMM's harvest and KVM_RESET_DIRTY_RINGS.
 */
public final class DirtyRings {

    private DirtyRings() {
    }

    // mark_page_dirty_in_slot(): kvm_dirty_ring_push() to the running vCPU if the VM has a ring, else the
    // slot's bitmap if it has one; without a running vCPU a ring VM's write reaches neither on x86 (a WARN)
    public static void markPageDirtyInSlot(Gateway gw, VmState vm, Long runningVcpu, SlotGeometry slot, long gfn) {
        if (!slot.logsDirtyPages()) {
            return; // kvm_slot_dirty_track_enabled()
        }
        if (vm.dirtyRingSize() != 0 && runningVcpu != null) {
            gw.send(EntityId.vcpu(vm.id(), runningVcpu), new VcpuCommand.DirtyRingPush(slot.slot(),
                    gfn - slot.baseGfn()));
        } else {
            gw.send(EntityId.slot(vm.id(), slot.slot()), new MemslotCommand.MarkPageDirty(gfn));
        }
    }

    /**
     * The ring half of make_spte() / fast_pf_fix_direct_spte(): an SPTE the fault made writable in a
     * logging slot calls mark_page_dirty_in_slot(); the slot set a bitmap bit itself (SpteChanged).
     */
    public static void spteMadeWritable(Gateway gw, VmState vm, long vcpu, SlotGeometry slot, Reply made) {
        if (vm.dirtyRingSize() == 0 || !slot.logsDirtyPages()) {
            return;
        }
        for (Recorded r : made.events()) {
            if (r.event() instanceof MemslotEvent.SpteChanged c && c.spte().writable()
                    && (c.old() == null || !c.old().writable())) {
                gw.send(EntityId.vcpu(vm.id(), vcpu), new VcpuCommand.DirtyRingPush(slot.slot(),
                        c.gfn() - slot.baseGfn()));
            }
        }
    }

    /**
     * After an exit KVM handled (a fault, an emulated access) vcpu_run() enters the guest again, and
     * kvm_dirty_ring_check_request() may end KVM_RUN there: the step's exit, or {@code out} unchanged.
     */
    public static Outcome reenterGuest(Gateway gw, VmState vm, long vcpu, Outcome out) {
        if (vm.dirtyRingSize() == 0 || out.errno() != null || out.exit() != GuestExit.NONE) {
            return out;
        }
        Reply r = gw.send(EntityId.vcpu(vm.id(), vcpu), new VcpuCommand.DirtyRingCheckRequest());
        if (r.events().stream().noneMatch(e -> e.event() instanceof VcpuEvent.DirtyRingFullExit)) {
            return out;
        }
        return new Outcome(null, GuestExit.KVM_EXIT_DIRTY_RING_FULL, out.observed());
    }

    /** The VMM harvests at most {@code max} entries of the vCPU's ring: the (slot, offset) pairs it collected. */
    public static Outcome harvest(Gateway gw, VmState vm, long vcpu, long max) {
        Reply r = gw.send(EntityId.vcpu(vm.id(), vcpu), new VcpuCommand.HarvestDirtyRing(max));
        if (!r.ok()) {
            return Outcome.of(r.errno());
        }
        List<List<Long>> harvested = new ArrayList<>();
        for (Recorded e : r.events()) {
            if (e.event() instanceof VcpuEvent.DirtyGfnsHarvested h) {
                h.gfns().forEach(g -> harvested.add(List.of(g.slot(), g.offset())));
            }
        }
        return Outcome.results(Map.of("harvested", harvested));
    }
}
