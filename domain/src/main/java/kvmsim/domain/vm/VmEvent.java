package kvmsim.domain.vm;

import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.entity.Event;
import kvmsim.domain.memslot.MemslotChange;
import kvmsim.domain.memslot.SlotGeometry;

public sealed interface VmEvent extends Event {

    /** @param maxVcpus kvm->max_vcpus, from the host's build; {@code maxVcpuIds} its KVM_MAX_VCPU_IDS */
    record VmCreated(Arch arch, String type, String host, boolean mteSupported, boolean fwb, boolean smm,
            boolean adBits, long maxVcpus, long maxVcpuIds) implements VmEvent {
    }

    /** x86 KVM_CAP_MAX_VCPU_ID: kvm->arch.max_vcpu_ids (the first vCPU latches the build's limit if it is unset). */
    record MaxVcpuIdsSet(long maxVcpuIds) implements VmEvent {
    }

    record VcpuAdded(long vcpu) implements VmEvent {
    }

    record MteEnabled() implements VmEvent {
    }

    /**
     * kvm->dirty_ring_size = size (bytes): every vCPU created from now on gets a dirty ring;
     * {@code acqRel}: through KVM_CAP_DIRTY_LOG_RING_ACQ_REL.
     */
    record DirtyRingEnabled(long size, boolean acqRel) implements VmEvent {
    }

    record PendingOpsSet(Set<PendingOp> ops) implements VmEvent {
        public PendingOpsSet {
            ops = PendingOp.inBitOrder(ops);
        }
    }

    record PendingOpsCleared(Set<PendingOp> ops) implements VmEvent {
        public PendingOpsCleared {
            ops = PendingOp.inBitOrder(ops);
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

    /** KVM_SET_MEMORY_ATTRIBUTES: gfns [start, end) became private (or shared). */
    record MemoryAttributesSet(long start, long end, boolean priv) implements VmEvent {
    }

    record GpcActivated(String gpc, long len) implements VmEvent {
    }

    /** The cache is valid and its kernel mapping points at {@code pfn} (a guest_memfd pfn when private). */
    record GpcRefreshed(String gpc, long gpa, long generation, long uhva, long pfn, boolean isPrivate)
            implements VmEvent {
    }

    record GpcRefreshFailed(String gpc, long gpa, long generation, long uhva) implements VmEvent {
    }

    record GpcInvalidated(java.util.List<String> gpcs) implements VmEvent {
        public GpcInvalidated {
            gpcs = java.util.List.copyOf(gpcs);
        }
    }

    record GpcDeactivated(String gpc) implements VmEvent {
    }
}
