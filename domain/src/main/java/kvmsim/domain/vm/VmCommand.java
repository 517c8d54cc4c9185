package kvmsim.domain.vm;

import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.host.HostFeatures;

public sealed interface VmCommand extends EntityCommand {

    /** KVM_CREATE_VM on {@code host}, whose features the VM keeps (they never change). */
    record Create(Arch arch, String type, String host, HostFeatures hostFeatures) implements VmCommand {
    }

    /** The kvm side of KVM_CREATE_VCPU: id checks and kvm->vcpu_array. */
    record CreateVcpu(long vcpu) implements VmCommand {
    }

    /** KVM_ENABLE_CAP(KVM_CAP_MAX_VCPU_ID) on x86: the highest vCPU id + 1 the VM will use. */
    record EnableMaxVcpuId(long maxVcpuIds) implements VmCommand {
    }

    /**
     * KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING or _ACQ_REL): {@code size} is args[0] as the u32 parameter of
     * kvm_vm_ioctl_enable_dirty_log_ring() receives it, in bytes; {@code acqRel}: the _ACQ_REL cap.
     */
    record EnableDirtyLogRing(long size, boolean acqRel) implements VmCommand {
    }

    /** KVM_ENABLE_CAP(KVM_CAP_ARM_MTE). */
    record EnableMte(long flags) implements VmCommand {
    }

    record SetPendingOps(Set<PendingOp> ops) implements VmCommand {
    }

    record ClearPendingOps(Set<PendingOp> ops) implements VmCommand {
    }

    /**
     * __kvm_set_memory_region() once the arch prepared the change: the VM checks the request
     * against its memslot table and installs the new entry (kvm_set_memslot()).
     */
    record SetMemoryRegion(KvmSetMemoryRegion.Request request) implements VmCommand {
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

    /** kvm_vm_set_mem_attributes(): store the attribute of gfns [start, end) after the SPTEs there were zapped. */
    record SetMemoryAttributes(long start, long end, boolean priv) implements VmCommand {
    }

    /** kvm_gpc_activate() of an inactive cache: reset it and add it to kvm->gpc_list. */
    record ActivateGpc(String gpc, long len) implements VmCommand {
    }

    /** __kvm_gpc_refresh() succeeded: the cache maps {@code pfn} and is valid. */
    record CommitGpcRefresh(String gpc, long gpa, long generation, long uhva, long pfn, boolean isPrivate)
            implements VmCommand {
    }

    /** __kvm_gpc_refresh() failed: invalid, nothing mapped. */
    record FailGpcRefresh(String gpc, long gpa, long generation, long uhva) implements VmCommand {
    }

    /** gfn_to_pfn_cache_invalidate_start(): these caches lose their validity. */
    record InvalidateGpcs(java.util.List<String> gpcs) implements VmCommand {
        public InvalidateGpcs {
            gpcs = java.util.List.copyOf(gpcs);
        }
    }

    /** kvm_gpc_deactivate(). */
    record DeactivateGpc(String gpc) implements VmCommand {
    }
}
