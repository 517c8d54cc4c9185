package kvmsim.domain.arm64;

/** kvm->arch.mmu_pending_ops bits, in bit order (RFC v5: FLUSH_DCACHE 0, INVAL_ICACHE 1, SANITISE_TAGS 2). */
public enum PendingOp {
    FLUSH_DCACHE, INVAL_ICACHE, SANITISE_TAGS
}
