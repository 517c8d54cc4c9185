package kvmsim.domain.vm;

import kvmsim.domain.abi.Pages;

/**
 * struct gfn_to_pfn_cache (virt/kvm/pfncache.c), as far as its state machine goes.
 *
 * @param gpa INVALID_GPA (-1) until the first refresh
 * @param len the length given to activate, which refresh and access reuse
 * @param generation the memslots generation the translation was made in
 * @param uhva the page-aligned userspace address of the gpa, or KVM_HVA_ERR_BAD (-1)
 * @param pfn KVM_PFN_ERR_FAULT (-1) when nothing is mapped (khva == NULL); else the pfn the kernel
 *     mapping points at: a guest_memfd folio's pfn when {@code isPrivate}, otherwise the VMM page
 *     behind uhva (kvmsim names anonymous pages by their hva page)
 */
public record Gpc(boolean active, boolean valid, long gpa, long len, long generation, long uhva, long pfn,
        boolean isPrivate) {

    public static final long INVALID_GPA = -1;
    public static final long KVM_HVA_ERR_BAD = -1;
    public static final long KVM_PFN_ERR_FAULT = -1;

    /** kvm_gpc_init(): inactive, nothing cached. */
    public static final Gpc INITIAL = new Gpc(false, false, INVALID_GPA, 0, 0, KVM_HVA_ERR_BAD, KVM_PFN_ERR_FAULT,
            false);

    public boolean mapped() {
        return pfn != KVM_PFN_ERR_FAULT;
    }

    /** The mapping points at the same page: a refresh to it keeps the old khva instead of mapping again. */
    public boolean samePage(long otherPfn, boolean otherPrivate) {
        return pfn == otherPfn && isPrivate == otherPrivate;
    }

    /** kvm_gpc_is_valid_len(): the cached access must fit within one page. */
    public static boolean validLen(long gpa, long uhva, long len) {
        long base = gpa == INVALID_GPA ? uhva : gpa;
        long offset = base == KVM_HVA_ERR_BAD ? 0 : Pages.offsetInPage(base);
        return Long.compareUnsigned(len, Pages.PAGE_SIZE - offset) <= 0;
    }

    /** kvm_gpc_check(gpc, len): usable without a refresh. */
    public boolean check(long memslotGeneration) {
        return active && valid && generation == memslotGeneration && uhva != KVM_HVA_ERR_BAD
                && validLen(gpa, uhva, len);
    }

    public Gpc activated(long newLen) {
        return new Gpc(true, false, gpa, newLen, generation, uhva, KVM_PFN_ERR_FAULT, false);
    }

    public Gpc refreshed(long newGpa, long newGeneration, long newUhva, long newPfn, boolean priv) {
        return new Gpc(active, true, newGpa, len, newGeneration, newUhva, newPfn, priv);
    }

    public Gpc failed(long newGpa, long newGeneration, long newUhva) {
        return new Gpc(active, false, newGpa, len, newGeneration, newUhva, KVM_PFN_ERR_FAULT, false);
    }

    public Gpc invalidated() {
        return new Gpc(active, false, gpa, len, generation, uhva, pfn, isPrivate);
    }

    public Gpc deactivated() {
        return new Gpc(false, false, gpa, len, generation, uhva, KVM_PFN_ERR_FAULT, false);
    }
}
