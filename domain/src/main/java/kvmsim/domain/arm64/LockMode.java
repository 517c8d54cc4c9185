package kvmsim.domain.arm64;

/** memslot->arch.flags & KVM_MEMSLOT_LOCK_MASK. */
public enum LockMode {
    READ, WRITE
}
