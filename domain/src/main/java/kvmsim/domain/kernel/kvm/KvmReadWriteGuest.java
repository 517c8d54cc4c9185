package kvmsim.domain.kernel.kvm;

import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.dirty.DirtyRings;
import kvmsim.domain.kernel.gmem.GuestMemfd;
import kvmsim.domain.kernel.mmu.X86Mmu;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vm.VmState;

/**
 * kvm_read_guest() / kvm_write_guest(): KVM copies guest memory itself, one page at a time, and
 * the first page that fails ends the copy with its errno. A private gfn goes to guest_memfd (Roy's
 * RFC 3/8 and 6/8); every other gfn through the VMM's mapping.
 */
public final class KvmReadWriteGuest {

    private KvmReadWriteGuest() {
    }

    public static Errno copy(Gateway gw, VmState vm, long gpa, long length, boolean write) {
        long done = 0;
        while (Long.compareUnsigned(done, length) < 0) {
            long at = gpa + done;
            long seg = Pages.PAGE_SIZE - Pages.offsetInPage(at); // next_segment()
            if (Long.compareUnsigned(seg, length - done) > 0) {
                seg = length - done;
            }
            Errno e = copyPage(gw, vm, null, at, seg, write);
            if (e != null) {
                return e;
            }
            done += seg;
        }
        return null;
    }

    // kvm_read_guest_page() / kvm_write_guest_page(); runningVcpu: kvm_get_running_vcpu(), null from a VM ioctl
    static Errno copyPage(Gateway gw, VmState vm, Long runningVcpu, long gpa, long len, boolean write) {
        long gfn = Pages.pageOf(gpa);
        SlotGeometry slot = vm.slotForGfn(gfn);
        if (slot == null) {
            return Errno.EFAULT; // kvm_is_error_hva(): no memslot
        }
        if (vm.isPrivate(gfn)) {
            // __kvm_{read,write}_guest_private_page() (RFC 3/8); a slot without guest_memfd has no pfn to give
            if (!vm.canAccessGmem()) {
                return Errno.EFAULT;
            }
            long pfn = GuestMemfd.kvmGmemGetPfn(gw, vm, slot, gfn);
            if (pfn < 0) {
                return Errno.EFAULT;
            }
            return gw.send(EntityId.host(vm.host()), new HostCommand.AccessGmemFolio(pfn, write)).errno();
        }
        if (write && slot.readonly()) {
            return Errno.EFAULT; // __gfn_to_hva_many(): KVM_HVA_ERR_RO_BAD
        }
        long hva = slot.gfnToHva(gfn) + Pages.offsetInPage(gpa);
        if (!write) {
            // __copy_from_user(): faults on an address the VMM has not mapped
            return Entity.host(gw, vm.host()).vmaAt(hva) == null ? Errno.EFAULT : null;
        }
        Errno e = gw.send(EntityId.host(vm.host()), new HostCommand.UserspaceWrite(hva, len)).errno();
        if (e != null) {
            return e; // __copy_to_user() faulted
        }
        if (vm.arch() == Arch.X86_64) {
            X86Mmu.hostPagesReplaced(gw, vm, gpa, len);
        }
        DirtyRings.markPageDirtyInSlot(gw, vm, runningVcpu, slot, gfn);
        return null;
    }
}
