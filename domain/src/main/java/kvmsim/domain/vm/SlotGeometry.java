package kvmsim.domain.vm;

import kvmsim.domain.common.Pages;

/** One entry of kvm->memslots: where a slot sits in guest physical and VMM virtual memory. */
public record SlotGeometry(long slot, long baseGfn, long npages, long hva, long flags) {

    public static final long KVM_MEM_LOG_DIRTY_PAGES = 1L << 0;
    public static final long KVM_MEM_READONLY = 1L << 1;
    public static final long KVM_MEM_GUEST_MEMFD = 1L << 2;

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

    public boolean readonly() {
        return (flags & KVM_MEM_READONLY) != 0;
    }

    public boolean logsDirtyPages() {
        return (flags & KVM_MEM_LOG_DIRTY_PAGES) != 0;
    }
}
