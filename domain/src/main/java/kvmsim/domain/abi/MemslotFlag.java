package kvmsim.domain.abi;

/** struct kvm_userspace_memory_region.flags. */
public enum MemslotFlag implements UapiValue {
    KVM_MEM_LOG_DIRTY_PAGES(1L << 0),
    KVM_MEM_READONLY(1L << 1),
    KVM_MEM_GUEST_MEMFD(1L << 2);

    private final long value;

    MemslotFlag(long value) {
        this.value = value;
    }

    @Override
    public long value() {
        return value;
    }
}
