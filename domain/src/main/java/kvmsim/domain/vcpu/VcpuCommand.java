package kvmsim.domain.vcpu;

import kvmsim.domain.entity.EntityCommand;

public sealed interface VcpuCommand extends EntityCommand {

    record Create() implements VcpuCommand {
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

    /** KVM_REQ_TLB_FLUSH from kvm_flush_remote_tlbs() number seq. */
    record TlbFlushRequest(long seq) implements VcpuCommand {
    }
}
