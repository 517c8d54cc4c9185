package kvmsim.domain.vcpu;

/** How a guest step left the guest: not at all, or with a KVM_RUN exit to userspace. */
public enum GuestExit {
    NONE, KVM_EXIT_MMIO, KVM_EXIT_MEMORY_FAULT, KVM_EXIT_DIRTY_RING_FULL
}
