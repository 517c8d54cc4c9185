package kvmsim.domain.kernel.kvm;

import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.KvmLimits;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.kernel.mmu.HugePages;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vcpu.DirtyRing;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vm.RemoteTlbFlush;
import kvmsim.domain.vm.VmState;

/**
 * KVM_RESET_DIRTY_RINGS: the harvested entries of every vCPU's ring go back to the arch code, which
 * write-protects their pages again (kvm_arch_mmu_enable_log_dirty_pt_masked()). Apart from the ring's
 * producer side ({@link kvmsim.domain.kernel.dirty.DirtyRings}) because it calls into the MMU, which
 * pushes to the ring.
 */
public final class DirtyRingReset {

    private DirtyRingReset() {
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
                HugePages.lazyHugeProtect(gw, vm)));
    }
}
