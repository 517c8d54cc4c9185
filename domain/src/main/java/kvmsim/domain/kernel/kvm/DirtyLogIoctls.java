package kvmsim.domain.kernel.kvm;

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
import kvmsim.domain.vm.RemoteTlbFlush;
import kvmsim.domain.vm.VmState;

/** KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG (virt/kvm/kvm_main.c), both under slots_lock. */
public final class DirtyLogIoctls {

    private DirtyLogIoctls() {
    }

    // kvm_vm_ioctl_get_dirty_log() -> kvm_get_dirty_log_protect(); the flush comes before copy_to_user()
    public static Outcome getDirtyLog(Gateway gw, VmState vm, long slot) {
        if (!vm.useDirtyBitmap()) {
            return Outcome.of(Errno.ENXIO); // !kvm_use_dirty_bitmap(kvm): a ring, no bitmap
        }
        Errno bad = checkSlotId(vm, slot);
        if (bad != null) {
            return Outcome.of(bad);
        }
        Reply r = gw.send(EntityId.slot(vm.id(), slot), new MemslotCommand.GetDirtyLog(vm.manualProtect()));
        if (!r.ok()) {
            return Outcome.of(r.errno());
        }
        MemslotEvent.DirtyLogReported reported = null;
        for (Recorded e : r.events()) {
            if (e.event() instanceof MemslotEvent.DirtyLogReported d) {
                reported = d;
            }
        }
        List<Long> pages = reported == null ? List.of() : reported.pages();
        if (reported != null && reported.cleared() && !pages.isEmpty()) {
            RemoteTlbFlush.kvmFlushRemoteTlbs(gw, vm.id(), "get-dirty-log");
        }
        return Outcome.results(Map.of("dirty_pages", pages));
    }

    // kvm_vm_ioctl_clear_dirty_log() -> kvm_clear_dirty_log_protect(): manual protect is not required
    public static Errno clearDirtyLog(Gateway gw, VmState vm, long slot, long firstPage, long numPages,
            List<Long> pages) {
        if (!vm.useDirtyBitmap()) {
            return Errno.ENXIO; // !kvm_use_dirty_bitmap(kvm): a ring, no bitmap
        }
        Errno bad = checkSlotId(vm, slot);
        if (bad != null) {
            return bad;
        }
        if ((firstPage & 63) != 0) {
            return Errno.EINVAL;
        }
        Reply r = gw.send(EntityId.slot(vm.id(), slot), new MemslotCommand.ClearDirtyLog(firstPage, numPages, pages,
                kvmsim.domain.kernel.mmu.HugePages.lazyHugeProtect(gw, vm)));
        if (!r.ok()) {
            return r.errno();
        }
        if (!r.events().isEmpty()) {
            RemoteTlbFlush.kvmFlushRemoteTlbs(gw, vm.id(), "clear-dirty-log");
        }
        return null;
    }

    // as_id >= kvm_arch_nr_memslot_as_ids(kvm) || id >= KVM_USER_MEM_SLOTS
    private static Errno checkSlotId(VmState vm, long slot) {
        long asId = slot >>> 16;
        long id = slot & 0xffff;
        if (asId >= KvmLimits.addressSpaces(vm.arch(), vm.smm()) || id >= KvmLimits.userMemSlots(vm.arch())) {
            return Errno.EINVAL;
        }
        return null;
    }
}
