package kvmsim.domain.abi;

/**
 * The dirty ring's constants (include/uapi/linux/kvm.h, include/linux/kvm_host.h, x86's uapi kvm.h)
 * and struct kvm_dirty_gfn's flags.
 */
public final class DirtyRingAbi {

    private DirtyRingAbi() {
    }

    /** sizeof(struct kvm_dirty_gfn): __u32 flags, __u32 slot, __u64 offset. */
    public static final long KVM_DIRTY_GFN_SIZE = 16;
    /** KVM_DIRTY_RING_RSVD_ENTRIES: room for the pushes of the exit that crossed the soft limit. */
    public static final long KVM_DIRTY_RING_RSVD_ENTRIES = 64;
    /** KVM_DIRTY_RING_MAX_ENTRIES. */
    public static final long KVM_DIRTY_RING_MAX_ENTRIES = 65536;
    /** KVM_DIRTY_LOG_PAGE_OFFSET on x86: the ring's first page in the vCPU fd's mmap space. */
    public static final long KVM_DIRTY_LOG_PAGE_OFFSET = 64;
    /** KVM_DIRTY_GFN_F_DIRTY: KVM pushed the entry. */
    public static final int KVM_DIRTY_GFN_F_DIRTY = 1;
    /** KVM_DIRTY_GFN_F_RESET: userspace harvested it. */
    public static final int KVM_DIRTY_GFN_F_RESET = 2;

    /**
     * kvm_dirty_ring_get_rsvd_entries(): KVM_DIRTY_RING_RSVD_ENTRIES + kvm_cpu_dirty_log_size(); kvmsim
     * models no PML, so the CPU's dirty log adds nothing (as on SVM, shadow paging, kvm_pvm).
     */
    public static long rsvdEntries() {
        return KVM_DIRTY_RING_RSVD_ENTRIES;
    }

    /** KVM_CHECK_EXTENSION(KVM_CAP_DIRTY_LOG_RING) on x86: the largest ring, in bytes. */
    public static final long MAX_SIZE = KVM_DIRTY_RING_MAX_ENTRIES * KVM_DIRTY_GFN_SIZE;
}
