package kvmsim.domain.vcpu;

import kvmsim.domain.entity.Event;

public sealed interface VcpuEvent extends Event {

    record VcpuCreated() implements VcpuEvent {
    }

    /** kvm_dirty_ring_alloc(): the new vCPU's ring of {@code bytes} bytes. */
    record DirtyRingAllocated(long bytes) implements VcpuEvent {
    }

    /** kvm_dirty_ring_push() of (slot, offset) at dirty_index. */
    record DirtyRingPushed(long slot, long offset) implements VcpuEvent {
    }

    /**
     * kvm_dirty_ring_check_request(): the ring is soft-full, KVM_RUN returns 0 with
     * KVM_EXIT_DIRTY_RING_FULL before entering the guest (the request stays set).
     */
    record DirtyRingFullExit() implements VcpuEvent {
    }

    /** The VMM collected these entries, in ring order, from its index on. */
    record DirtyGfnsHarvested(java.util.List<DirtyRing.DirtyGfn> gfns) implements VcpuEvent {
        public DirtyGfnsHarvested {
            gfns = java.util.List.copyOf(gfns);
        }
    }

    /** kvm_dirty_ring_reset(): these harvested entries, from reset_index on, were made invalid. */
    record DirtyRingReset(java.util.List<DirtyRing.DirtyGfn> gfns) implements VcpuEvent {
        public DirtyRingReset {
            gfns = java.util.List.copyOf(gfns);
        }
    }

    /** @param reset the vCPU had run before: userspace reset it */
    record VcpuInitialised(long target, long features, boolean reset) implements VcpuEvent {
    }

    record VcpuEnteredGuest() implements VcpuEvent {
    }

    record VcpuLeftGuest() implements VcpuEvent {
    }

    /**
     * The guest accessed gpa. slot is -1 and hvaPage -1 outside every memslot.
     *
     * @param faulted the access took a stage-2 / EPT fault that KVM resolved
     * @param tlbHit the access went through a cached translation; null where TLBs are not modelled
     */
    record GuestAccessed(GuestAccessKind kind, long gpa, long slot, long hvaPage, GuestExit exit, boolean faulted,
            Boolean tlbHit) implements VcpuEvent {
    }

    /** The access left this translation of gfn in the TLB. */
    record TlbFilled(long gfn, boolean writable) implements VcpuEvent {
    }

    /** kvm_vcpu_flush_tlb_all() for request seq: every cached translation is gone. */
    record TlbFlushed(long seq, int dropped) implements VcpuEvent {
    }

    /** The vCPU was outside guest mode: KVM_REQ_TLB_FLUSH stays set until it next enters the guest. */
    record TlbFlushDeferred(long seq) implements VcpuEvent {
    }
}
