package kvmsim.domain.memslot;

/** enum kvm_mr_change. */
public enum MemslotChange {
    KVM_MR_CREATE, KVM_MR_DELETE, KVM_MR_MOVE, KVM_MR_FLAGS_ONLY
}
