package kvmsim.domain.kernel.dirty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.KvmLimits;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vcpu.DirtyRing;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vm.RemoteTlbFlush;
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
     * kvm_dirty_ring_check_request() may end KVM_RUN there: the step's exit, or {@code exit} unchanged.
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

    // kvm_vm_ioctl_reset_dirty_pages(): each vCPU's kvm_dirty_ring_reset() under slots_lock, then one
    // kvm_flush_remote_tlbs() if any entry was reset; returns how many were (no signals in kvmsim: no EINTR)
    public static Outcome kvmVmIoctlResetDirtyPages(Gateway gw, VmState vm) {
        if (vm.dirtyRingSize() == 0) {
            return Outcome.of(Errno.EINVAL);
        }
        long cleared = 0;
        for (EntityId vcpu : vm.vcpuIds()) {
            Reply r = gw.send(vcpu, new VcpuCommand.ResetDirtyRing());
            for (Recorded e : r.events()) {
                if (e.event() instanceof VcpuEvent.DirtyRingReset reset) {
                    kvmDirtyRingReset(gw, vm, reset.gfns());
                    cleared += reset.gfns().size();
                }
            }
        }
        if (cleared > 0) {
            RemoteTlbFlush.kvmFlushRemoteTlbs(gw, vm.id(), "reset-dirty-rings");
        }
        return Outcome.returned(cleared);
    }

    // kvm_dirty_ring_reset(): consecutive entries of one slot within a 64-page window (which may slide
    // down) make one mask; each mask goes to kvm_reset_dirty_gfn()
    private static void kvmDirtyRingReset(Gateway gw, VmState vm, List<DirtyRing.DirtyGfn> entries) {
        long curSlot = 0;
        long curOffset = 0;
        long mask = 0;
        for (DirtyRing.DirtyGfn e : entries) {
            if (mask != 0) {
                if (e.slot() == curSlot) {
                    long delta = e.offset() - curOffset;
                    if (delta >= 0 && delta < 64) {
                        mask |= 1L << delta;
                        continue;
                    }
                    if (delta > -64 && delta < 0 && (mask << -delta >>> -delta) == mask) {
                        curOffset = e.offset();
                        mask = (mask << -delta) | 1;
                        continue;
                    }
                }
                kvmResetDirtyGfn(gw, vm, curSlot, curOffset, mask);
            }
            curSlot = e.slot();
            curOffset = e.offset();
            mask = 1;
        }
        if (mask != 0) {
            kvmResetDirtyGfn(gw, vm, curSlot, curOffset, mask);
        }
    }

    // kvm_reset_dirty_gfn(): an entry naming no slot, or pages past its end, is dropped silently
    private static void kvmResetDirtyGfn(Gateway gw, VmState vm, long slot, long offset, long mask) {
        long asId = slot >>> 16;
        long id = slot & 0xffff;
        if (asId >= KvmLimits.addressSpaces(vm.arch(), vm.smm()) || id >= KvmLimits.userMemSlots(vm.arch())) {
            return;
        }
        SlotGeometry memslot = vm.slots().get(slot);
        long fls = 63 - Long.numberOfLeadingZeros(mask);
        if (memslot == null || Long.compareUnsigned(offset + fls, memslot.npages()) >= 0) {
            return;
        }
        gw.send(EntityId.slot(vm.id(), slot), new MemslotCommand.EnableLogDirtyPtMasked(offset, mask,
                kvmsim.domain.kernel.mmu.HugePages.lazyHugeProtect(gw, vm)));
    }
}
