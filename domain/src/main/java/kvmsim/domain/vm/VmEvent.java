package kvmsim.domain.vm;

import java.util.Set;
import kvmsim.domain.arm64.PendingOp;
import kvmsim.domain.common.Arch;
import kvmsim.domain.kernel.Event;

public sealed interface VmEvent extends Event {

    record VmCreated(Arch arch, String type, String host, boolean mteSupported, boolean fwb, boolean smm)
            implements VmEvent {
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
}
