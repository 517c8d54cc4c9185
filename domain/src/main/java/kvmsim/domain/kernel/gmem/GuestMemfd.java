package kvmsim.domain.kernel.gmem;

import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.GmemFlag;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.abi.UapiValue;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.GmemInode;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostState;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vm.VmState;

/** guest_memfd files: creating them and binding them to memslots (virt/kvm/guest_memfd.c). */
public final class GuestMemfd {

    private GuestMemfd() {
    }

    // kvm_vm_ioctl(KVM_CREATE_GUEST_MEMFD) -> kvm_gmem_create(): flags first, then the size
    public static Errno create(Gateway gw, VmState vm, String gmem, long size, long flags) {
        HostState host = Entity.host(gw, vm.host());
        if ((flags & ~supportedFlags(host)) != 0) {
            return Errno.EINVAL;
        }
        if (size <= 0 || !Pages.aligned(size)) {
            return Errno.EINVAL; // loff_t size: 2^63 and above are negative
        }
        return gw.send(EntityId.host(vm.host()), new HostCommand.CreateGmem(gmem, vm.id(), size, flags)).errno();
    }

    /** kvm_gmem_get_supported_flags(): what the host's KVM advertises in KVM_CAP_GUEST_MEMFD_FLAGS. */
    static long supportedFlags(HostState host) {
        return UapiValue.bits(GmemFlag.class, host.features().gmemFlags());
    }

    // kvm_gmem_bind(): after every generic memslot check, before kvm_set_memslot()
    public static Errno bind(HostState host, VmState vm, SlotGeometry slot) {
        GmemInode inode = slot.gmem() == null ? null : host.gmem().get(slot.gmem());
        if (inode == null) {
            return Errno.EBADF; // fget() found no file
        }
        if (!inode.vm().equals(vm.id())) {
            return Errno.EINVAL; // gmem->kvm != kvm
        }
        long size = slot.npages() << Pages.PAGE_SHIFT;
        if (slot.gmemOffset() < 0 || Long.compareUnsigned(slot.gmemOffset() + size, inode.size()) > 0) {
            return Errno.EINVAL;
        }
        long start = slot.gmemOffset() >>> Pages.PAGE_SHIFT;
        long end = start + slot.npages();
        for (SlotGeometry other : vm.slots().values()) {
            if (slot.gmem().equals(other.gmem()) && other.slot() != slot.slot()) {
                long otherStart = other.gmemOffset() >>> Pages.PAGE_SHIFT;
                if (start < otherStart + other.npages() && otherStart < end) {
                    return Errno.EINVAL; // xa_find(&gmem->bindings, start, end - 1): another slot has that range
                }
            }
        }
        return null;
    }

    /** kvm_gmem_get_pfn() for gfn of a memslot: the folio's pfn, or -1 when it fails (no guest_memfd: EFAULT). */
    public static long kvmGmemGetPfn(Gateway gw, VmState vm, SlotGeometry slot, long gfn) {
        if (!slot.hasGmem()) {
            return -1;
        }
        long index = slot.gmemIndex(gfn);
        Reply r = gw.send(EntityId.host(vm.host()), new HostCommand.GmemGetPfn(slot.gmem(), index));
        if (!r.ok()) {
            return -1;
        }
        return Entity.host(gw, vm.host()).gmem().get(slot.gmem()).pages().get(index);
    }
}
