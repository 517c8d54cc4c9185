package kvmsim.domain.abi;

/**
 * struct kvm_create_guest_memfd.flags: GUEST_MEMFD_FLAG_MMAP and GUEST_MEMFD_FLAG_INIT_SHARED
 * (mainline) and KVM_GMEM_NO_DIRECT_MAP, which kvmsim gives the value of the 2025 series'
 * GUEST_MEMFD_FLAG_NO_DIRECT_MAP (the 2024 RFC used bit 0, now MMAP's).
 */
public enum GmemFlag implements UapiValue {
    GUEST_MEMFD_FLAG_MMAP(1L << 0),
    GUEST_MEMFD_FLAG_INIT_SHARED(1L << 1),
    KVM_GMEM_NO_DIRECT_MAP(1L << 2);

    private final long value;

    GmemFlag(long value) {
        this.value = value;
    }

    @Override
    public long value() {
        return value;
    }
}
