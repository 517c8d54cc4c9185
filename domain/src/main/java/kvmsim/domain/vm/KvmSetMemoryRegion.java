package kvmsim.domain.vm;

import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.KvmLimits;
import kvmsim.domain.abi.MemslotFlag;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.memslot.MemslotChange;
import kvmsim.domain.memslot.SlotGeometry;

/**
 * The generic checks of __kvm_set_memory_region(), in the kernel's order, up to the point where the
 * arch's kvm_arch_prepare_memory_region() is asked.
 */
public final class KvmSetMemoryRegion {

    /**
     * struct kvm_userspace_memory_region2 as the VMM passed it; {@code v2} false for the v1 ioctl,
     * whose struct has no guest_memfd fields.
     *
     * @param guestMemfd the gmem id of the guest_memfd field, or null (a bad fd)
     */
    public record Request(long slot, long flags, long guestPhysAddr, long memorySize, long userspaceAddr,
            boolean v2, String guestMemfd, long guestMemfdOffset) {

        public Request(long slot, long flags, long guestPhysAddr, long memorySize, long userspaceAddr) {
            this(slot, flags, guestPhysAddr, memorySize, userspaceAddr, false, null, 0);
        }

        public boolean guestMemfdFlag() {
            return MemslotFlag.KVM_MEM_GUEST_MEMFD.in(flags);
        }
    }

    /** The errno, or the change and the new slot table entry (null change: nothing to change, return 0). */
    public record Verdict(Errno errno, MemslotChange change, SlotGeometry old, SlotGeometry geometry) {
        public boolean nothingToChange() {
            return errno == null && change == null;
        }
    }

    private static final long LEGACY_FLAGS = MemslotFlag.KVM_MEM_LOG_DIRTY_PAGES.value()
            | MemslotFlag.KVM_MEM_READONLY.value();

    private KvmSetMemoryRegion() {
    }

    // __kvm_set_memory_region()
    public static Verdict check(VmState vm, Request r) {
        Arch arch = vm.arch();
        // kvm_vm_ioctl(): the v1 ioctl knows only LOG_DIRTY_PAGES and READONLY; then check_memory_region_flags()
        if ((!r.v2() && (r.flags() & ~LEGACY_FLAGS) != 0) || (r.flags() & ~validFlags(r)) != 0) {
            return reject(Errno.EINVAL);
        }
        if (!Pages.aligned(r.memorySize())) {
            return reject(Errno.EINVAL);
        }
        if (!Pages.aligned(r.guestPhysAddr())) {
            return reject(Errno.EINVAL);
        }
        // "We can read the guest memory with __xxx_user() later on": alignment and access_ok()
        if (!Pages.aligned(r.userspaceAddr()) || !accessOk(arch, r.userspaceAddr(), r.memorySize())) {
            return reject(Errno.EINVAL);
        }
        if (r.guestMemfdFlag() && (!Pages.aligned(r.guestMemfdOffset())
                || Pages.addOverflows(r.guestMemfdOffset(), r.memorySize()))) {
            return reject(Errno.EINVAL);
        }
        long asId = r.slot() >>> 16;
        long id = r.slot() & 0xffff;
        if (asId >= KvmLimits.addressSpaces(arch, vm.smm()) || id >= KvmLimits.userMemSlots(arch)) {
            return reject(Errno.EINVAL);
        }
        if (Pages.addOverflows(r.guestPhysAddr(), r.memorySize())) {
            return reject(Errno.EINVAL);
        }
        long npages = Pages.count(r.memorySize());
        if (Long.compareUnsigned(npages, KvmLimits.KVM_MEM_MAX_NR_PAGES) > 0) {
            return reject(Errno.EINVAL);
        }
        SlotGeometry old = vm.slots().get(r.slot());
        if (r.memorySize() == 0) {
            if (old == null) {
                return reject(Errno.EINVAL); // deleting an absent slot
            }
            return new Verdict(null, MemslotChange.KVM_MR_DELETE, old, old);
        }
        long baseGfn = Pages.pageOf(r.guestPhysAddr());
        SlotGeometry geometry = r.guestMemfdFlag()
                ? new SlotGeometry(r.slot(), baseGfn, npages, r.userspaceAddr(), r.flags(), r.guestMemfd(),
                        r.guestMemfdOffset())
                : new SlotGeometry(r.slot(), baseGfn, npages, r.userspaceAddr(), r.flags());
        MemslotChange change;
        if (old == null) {
            change = MemslotChange.KVM_MR_CREATE;
        } else {
            if (r.guestMemfdFlag() || old.hasGmem()) {
                // "Private memslots are immutable, they can only be deleted": with or without the flag,
                // even an identical re-set (confirmed on Linux 6.18, tools/kvm-probe)
                return reject(Errno.EINVAL);
            }
            // only the gpa (a move) or LOG_DIRTY_PAGES (flags only) may change
            if (r.userspaceAddr() != old.hva() || npages != old.npages()
                    || MemslotFlag.KVM_MEM_READONLY.in(r.flags() ^ old.flags())) {
                return reject(Errno.EINVAL);
            }
            if (baseGfn != old.baseGfn()) {
                change = MemslotChange.KVM_MR_MOVE;
            } else if (r.flags() != old.flags()) {
                change = MemslotChange.KVM_MR_FLAGS_ONLY;
            } else {
                return new Verdict(null, null, old, old);
            }
        }
        if ((change == MemslotChange.KVM_MR_CREATE || change == MemslotChange.KVM_MR_MOVE)
                && overlaps(vm, geometry)) {
            return reject(Errno.EEXIST);
        }
        return new Verdict(null, change, old, geometry);
    }

    // check_memory_region_flags() (6.18): GUEST_MEMFD with CONFIG_KVM_GUEST_MEMFD; a guest_memfd slot
    // can neither log dirty pages nor be read-only
    private static long validFlags(Request r) {
        long valid = MemslotFlag.KVM_MEM_LOG_DIRTY_PAGES.value() | MemslotFlag.KVM_MEM_GUEST_MEMFD.value();
        if (r.guestMemfdFlag()) {
            valid &= ~MemslotFlag.KVM_MEM_LOG_DIRTY_PAGES.value();
        } else {
            valid |= MemslotFlag.KVM_MEM_READONLY.value();
        }
        return valid;
    }

    private static Verdict reject(Errno errno) {
        return new Verdict(errno, null, null, null);
    }

    // access_ok(): the range lies below TASK_SIZE_MAX and does not wrap
    private static boolean accessOk(Arch arch, long addr, long size) {
        long limit = KvmLimits.taskSize(arch);
        return Long.compareUnsigned(size, limit) <= 0 && Long.compareUnsigned(addr, limit - size) <= 0;
    }

    // kvm_check_memslot_overlap(): same address space, another id
    private static boolean overlaps(VmState vm, SlotGeometry g) {
        long end = g.baseGfn() + g.npages();
        for (SlotGeometry other : vm.slots().values()) {
            if (other.slot() == g.slot() || other.asId() != g.asId()) {
                continue;
            }
            long otherEnd = other.baseGfn() + other.npages();
            if (Long.compareUnsigned(g.baseGfn(), otherEnd) < 0 && Long.compareUnsigned(other.baseGfn(), end) < 0) {
                return true;
            }
        }
        return false;
    }
}
