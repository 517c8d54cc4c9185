package kvmsim.domain.abi;

/** struct kvm_memory_attributes.attributes. */
public enum MemoryAttribute implements UapiValue {
    KVM_MEMORY_ATTRIBUTE_PRIVATE(1L << 3);

    private final long value;

    MemoryAttribute(long value) {
        this.value = value;
    }

    @Override
    public long value() {
        return value;
    }
}
