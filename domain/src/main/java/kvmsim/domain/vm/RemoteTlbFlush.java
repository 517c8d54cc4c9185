package kvmsim.domain.vm;

import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.Ack;
import kvmsim.domain.entity.Broadcast;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;

/**
 * kvm_flush_remote_tlbs(): KVM_REQ_TLB_FLUSH (KVM_REQUEST_WAIT) to every vCPU of the VM. A vCPU in
 * guest mode flushes and acknowledges; one outside guest mode keeps the request pending and
 * services it before it next enters the guest. The VM persists the request and the completion;
 * each vCPU persists its flush (or the pending request).
 */
public record RemoteTlbFlush(long seq, int line, List<EntityId> to) implements Broadcast {

    public RemoteTlbFlush {
        to = List.copyOf(to);
    }

    @Override
    public EntityCommand request() {
        return new VcpuCommand.TlbFlushRequest(seq);
    }

    @Override
    public EntityCommand completion(List<Ack> acks) {
        int flushed = 0;
        int deferred = 0;
        for (Ack a : acks) {
            for (var e : a.events()) {
                if (e instanceof VcpuEvent.TlbFlushed) {
                    flushed++;
                } else if (e instanceof VcpuEvent.TlbFlushDeferred) {
                    deferred++;
                }
            }
        }
        return new VmCommand.CompleteRemoteTlbFlush(seq, flushed, deferred);
    }

    // kvm_flush_remote_tlbs() / kvm_flush_remote_tlbs_memslot(): returns once every vCPU acknowledged
    public static Errno kvmFlushRemoteTlbs(Gateway gw, String vmId, String reason) {
        Reply r = gw.send(EntityId.vm(vmId), new VmCommand.FlushRemoteTlbs(reason));
        return r.errno();
    }
}
