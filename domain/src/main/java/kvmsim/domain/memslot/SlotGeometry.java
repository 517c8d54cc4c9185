package kvmsim.domain.memslot;

import kvmsim.domain.abi.MemslotFlag;
import kvmsim.domain.abi.Pages;

/**
 * One entry of kvm->memslots: where a slot sits in guest physical and VMM virtual memory.
 *
 * @param gmem the guest_memfd bound to a KVM_MEM_GUEST_MEMFD slot (slot->gmem.file), else null
 * @param gmemOffset the byte offset in it of the slot's first page
 */
public record SlotGeometry(long slot, long baseGfn, long npages, long hva, long flags, String gmem,
        long gmemOffset) {

    public SlotGeometry(long slot, long baseGfn, long npages, long hva, long flags) {
        this(slot, baseGfn, npages, hva, flags, null, 0);
    }


    public int asId() {
        return (int) (slot >>> 16);
    }

    public boolean containsGfn(long gfn) {
        return Long.compareUnsigned(gfn, baseGfn) >= 0 && Long.compareUnsigned(gfn - baseGfn, npages) < 0;
    }

    /** __gfn_to_hva_memslot(). */
    public long gfnToHva(long gfn) {
        return hva + ((gfn - baseGfn) << Pages.PAGE_SHIFT);
    }

    /** kvm_slot_has_gmem(). */
    public boolean hasGmem() {
        return gmem != null;
    }

    /** kvm_gmem_get_index(): the guest_memfd page that backs gfn. */
    public long gmemIndex(long gfn) {
        return (gmemOffset >>> Pages.PAGE_SHIFT) + (gfn - baseGfn);
    }

    public boolean readonly() {
        return MemslotFlag.KVM_MEM_READONLY.in(flags);
    }

    public boolean logsDirtyPages() {
        return MemslotFlag.KVM_MEM_LOG_DIRTY_PAGES.in(flags);
    }
}
