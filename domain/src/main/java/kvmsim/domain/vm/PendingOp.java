package kvmsim.domain.vm;

import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** kvm->arch.mmu_pending_ops bits, in bit order (RFC v5: FLUSH_DCACHE 0, INVAL_ICACHE 1, SANITISE_TAGS 2). */
public enum PendingOp {
    FLUSH_DCACHE, INVAL_ICACHE, SANITISE_TAGS;

    /**
     * An immutable set of ops that iterates in bit order. Set.copyOf's order changes from one JVM to
     * the next, and an event's text (a violation's chain) must read the same when a stored run is
     * audited again in another process.
     */
    public static Set<PendingOp> inBitOrder(Collection<PendingOp> ops) {
        return Collections.unmodifiableSet(ops.isEmpty() ? EnumSet.noneOf(PendingOp.class) : EnumSet.copyOf(ops));
    }
}
