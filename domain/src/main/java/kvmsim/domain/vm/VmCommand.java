package kvmsim.domain.vm;

import java.util.Set;
import kvmsim.domain.arm64.PendingOp;
import kvmsim.domain.common.Arch;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.kernel.EntityCommand;

public sealed interface VmCommand extends EntityCommand {

    record Query() implements VmCommand {
    }

    /** KVM_CREATE_VM on {@code host}, whose features the VM keeps (they never change). */
    record Create(Arch arch, String type, String host, HostFeatures hostFeatures) implements VmCommand {
    }

    /** The kvm side of KVM_CREATE_VCPU: id checks and kvm->vcpu_array. */
    record CreateVcpu(long vcpu) implements VmCommand {
    }

    /** KVM_ENABLE_CAP(KVM_CAP_ARM_MTE). */
    record EnableMte(long flags) implements VmCommand {
    }

    record SetPendingOps(Set<PendingOp> ops) implements VmCommand {
    }

    record ClearPendingOps(Set<PendingOp> ops) implements VmCommand {
    }

    /** kvm_set_memslot() after every check passed: install the new slot table entry. */
    record CommitMemslot(MemslotChange change, SlotGeometry geometry) implements VmCommand {
    }

    /** KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2). */
    record EnableManualDirtyLogProtect(long flags, long options) implements VmCommand {
    }

    /** kvm_flush_remote_tlbs(): the VM is answered once every vCPU acknowledged. */
    record FlushRemoteTlbs(String reason) implements VmCommand {
    }

    /** Every vCPU acknowledged the flush with sequence number seq. */
    record CompleteRemoteTlbFlush(long seq, int flushed, int deferred) implements VmCommand {
    }
}
