package kvmsim.domain.memslot;

/** memslot->arch.flags & KVM_MEMSLOT_LOCK_MASK. */
public enum LockMode {
    READ, WRITE
}
