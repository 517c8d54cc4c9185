package kvmsim.domain.policy;


/**
 * How a gfn_to_pfn cache restores a guest_memfd page that was removed from the direct map
 * (policy {@code gpc-direct-map}, seed 001).
 */
public enum DirectMapPolicy {
    /** Paolo's review: page_private() counts the caches that need the page; the first restores, the last zaps. */
    REFCOUNTED,
    /** The RFC (6/8): one cache per pfn; a second cache's gpc_map fails with -EINVAL, so its refresh fails with -EFAULT. */
    EXCLUSIVE,
    /** No guard at all: map(A) map(B) unmap(A) leaves B pointing at a page that is gone from the direct map. */
    UNCHECKED;

    public static DirectMapPolicy of(Policies p) {
        String v = p.get(Policies.GPC_DIRECT_MAP);
        return v == null ? REFCOUNTED : valueOf(v.toUpperCase(java.util.Locale.ROOT));
    }
}
