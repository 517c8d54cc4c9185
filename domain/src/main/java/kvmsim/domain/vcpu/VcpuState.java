package kvmsim.domain.vcpu;

import java.util.Map;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.StateMaps;

/**
 * struct kvm_vcpu. A vCPU in guest mode is inside KVM_RUN and so holds vcpu->mutex; it stays there
 * until its next vCPU ioctl (a reset with KVM_ARM_VCPU_INIT, or a KVM_RUN that fails).
 *
 * @param tlb the translations this vCPU cached, by gfn (x86; persistent: see StateMaps)
 * @param flushRequestsSeen the sequence number of the last KVM_REQ_TLB_FLUSH this vCPU received
 * @param flushPending KVM_REQ_TLB_FLUSH is set and not yet serviced: the vCPU was outside guest mode
 * @param dirtyRing vcpu->dirty_ring when the VM has one (kvm->dirty_ring_size), else null
 */
public record VcpuState(String vm, long id, boolean created, boolean initialised, long target, long features,
        boolean hasRunOnce, boolean inGuest, Map<Long, TlbEntry> tlb, long flushRequestsSeen,
        boolean flushPending, VcpuEvent lastFlushAck, DirtyRing dirtyRing) implements EntityState {

    @Override
    public EntityId.Kind kind() {
        return EntityId.Kind.VCPU;
    }

    public VcpuState {
        tlb = StateMaps.sorted(tlb);
    }

    public static VcpuState initial(String vm, long id) {
        return new VcpuState(vm, id, false, false, 0, 0, false, false, Map.of(), 0, false, null, null);
    }

    public TlbEntry tlbEntry(long gfn) {
        return tlb.get(gfn);
    }

    VcpuState withRun(boolean created, boolean initialised, long target, long features, boolean hasRunOnce,
            boolean inGuest) {
        return new VcpuState(vm, id, created, initialised, target, features, hasRunOnce, inGuest, tlb,
                flushRequestsSeen, flushPending, lastFlushAck, dirtyRing);
    }

    VcpuState withTlb(Map<Long, TlbEntry> t, long seen, boolean pending) {
        return new VcpuState(vm, id, created, initialised, target, features, hasRunOnce, inGuest, t, seen, pending,
                lastFlushAck, dirtyRing);
    }

    /** After answering flush request {@code seen} with {@code ack}: a repeat of that request gets the same answer. */
    VcpuState withFlushAck(Map<Long, TlbEntry> t, long seen, boolean pending, VcpuEvent ack) {
        return new VcpuState(vm, id, created, initialised, target, features, hasRunOnce, inGuest, t, seen, pending, ack,
                dirtyRing);
    }

    VcpuState withDirtyRing(DirtyRing r) {
        return new VcpuState(vm, id, created, initialised, target, features, hasRunOnce, inGuest, tlb,
                flushRequestsSeen, flushPending, lastFlushAck, r);
    }

    VcpuState withFilled(long gfn, TlbEntry e) {
        return withTlb(StateMaps.with(tlb, gfn, e), flushRequestsSeen, flushPending);
    }
}
