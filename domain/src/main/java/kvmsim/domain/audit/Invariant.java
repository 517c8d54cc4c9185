package kvmsim.domain.audit;

/** The audit rules of design.md, by their stable ids. */
public enum Invariant {
    PENDING_OPS_BEFORE_ENTRY("pending-ops-before-entry"),
    TAGS_SANITISED_BEFORE_ACCESS("tags-sanitised-before-access"),
    ICACHE_COHERENT_AFTER_RESET("icache-coherent-after-reset"),
    PENDING_OP_LEAK("pending-op-leak"),
    DIRTY_LOG_COMPLETENESS("dirty-log-completeness"),
    STALE_WRITABLE_TLB("stale-writable-tlb"),
    DIRECT_MAP_ACCESS("direct-map-access"),
    GPC_MAPPING_BROKEN("gpc-mapping-broken"),
    PKVM_OWNERSHIP("pkvm-ownership"),
    PTE_OWNER_RANGE("pte-owner-range");

    public final String id;

    Invariant(String id) {
        this.id = id;
    }

    public static Invariant byId(String id) {
        for (Invariant i : values()) {
            if (i.id.equals(id)) {
                return i;
            }
        }
        return null;
    }
}
