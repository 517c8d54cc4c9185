package kvmsim.domain.vm;

import java.util.Set;
import kvmsim.domain.arm64.PendingOp;
import kvmsim.domain.common.Arch;
import kvmsim.domain.kernel.Event;

public sealed interface VmEvent extends Event {

    record VmCreated(Arch arch, String type, String host, boolean mteSupported, boolean fwb, boolean smm,
            boolean adBits) implements VmEvent {
    }

    record VcpuAdded(long vcpu) implements VmEvent {
    }

    record MteEnabled() implements VmEvent {
    }

    record PendingOpsSet(Set<PendingOp> ops) implements VmEvent {
        public PendingOpsSet {
            ops = Set.copyOf(ops);
        }
    }

    record PendingOpsCleared(Set<PendingOp> ops) implements VmEvent {
        public PendingOpsCleared {
            ops = Set.copyOf(ops);
        }
    }

    record MemslotTableUpdated(MemslotChange change, SlotGeometry geometry) implements VmEvent {
    }

    /** kvm->manual_dirty_log_protect = options. */
    record ManualDirtyLogProtectSet(long options) implements VmEvent {
    }

    /** KVM_REQ_TLB_FLUSH goes to every vCPU in {@code vcpus}; the ioctl waits for all of them. */
    record RemoteTlbFlushRequested(long seq, String reason, java.util.List<Long> vcpus) implements VmEvent {
        public RemoteTlbFlushRequested {
            vcpus = java.util.List.copyOf(vcpus);
        }
    }

    /** Every vCPU acknowledged: {@code flushed} flushed now, {@code deferred} flush before they next enter. */
    record RemoteTlbFlushCompleted(long seq, int flushed, int deferred) implements VmEvent {
    }
}
