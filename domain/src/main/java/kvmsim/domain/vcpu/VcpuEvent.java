package kvmsim.domain.vcpu;

import kvmsim.domain.kernel.Event;

public sealed interface VcpuEvent extends Event {

    record VcpuCreated() implements VcpuEvent {
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
     * @param faulted the access took a stage-2 fault that KVM resolved
     */
    record GuestAccessed(GuestAccessKind kind, long gpa, long slot, long hvaPage, GuestExit exit, boolean faulted)
            implements VcpuEvent {
    }
}
