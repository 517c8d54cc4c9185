package kvmsim.domain.vcpu;

import kvmsim.domain.entity.EntityCommand;

public sealed interface VcpuCommand extends EntityCommand {

    /** @param dirtyRingSize kvm->dirty_ring_size: the vCPU gets a ring of that many bytes; 0: none */
    record Create(long dirtyRingSize) implements VcpuCommand {
        public Create() {
            this(0);
        }
    }

    /** KVM_ARM_VCPU_INIT: the target and feature checks of kvm_vcpu_set_target(). */
    record ArmInit(long target, long features) implements VcpuCommand {
    }

    /** The end of KVM_RUN's entry path: pending requests are serviced, then the vCPU enters the guest. */
    record EnterGuest(boolean requireInit) implements VcpuCommand {
    }

    /** KVM_RUN returned an error: the vCPU is back in userspace. */
    record RunFailed() implements VcpuCommand {
    }

    /**
     * The guest touches gpa; the caller resolved what the access did.
     *
     * @param tlbHit the access used a cached translation; null where kvmsim has no TLB model (arm64)
     * @param fill the translation the access leaves in the TLB, or null
     */
    record GuestAccess(GuestAccessKind kind, long gpa, long slot, long hvaPage, GuestExit exit, boolean faulted,
            Boolean tlbHit, TlbEntry fill) implements VcpuCommand {
    }

    /** kvm_dirty_ring_push(): mark_page_dirty_in_slot() ran on this vCPU (its running vCPU). */
    record DirtyRingPush(long slot, long offset) implements VcpuCommand {
    }

    /**
     * vcpu_enter_guest() re-entering after an exit KVM handled itself: kvm_dirty_ring_check_request()
     * ends KVM_RUN with KVM_EXIT_DIRTY_RING_FULL while the ring is soft-full.
     */
    record DirtyRingCheckRequest() implements VcpuCommand {
    }

    /**
     * The VMM reads its mapping of the ring from its own index: at most {@code max} entries with
     * KVM_DIRTY_GFN_F_DIRTY, each marked KVM_DIRTY_GFN_F_RESET (collected).
     */
    record HarvestDirtyRing(long max) implements VcpuCommand {
    }

    /** kvm_dirty_ring_reset() of this vCPU's ring: the harvested entries from reset_index on become invalid. */
    record ResetDirtyRing() implements VcpuCommand {
    }

    /** KVM_REQ_TLB_FLUSH from kvm_flush_remote_tlbs() number seq. */
    record TlbFlushRequest(long seq) implements VcpuCommand {
    }
}
