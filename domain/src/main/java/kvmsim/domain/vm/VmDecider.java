package kvmsim.domain.vm;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.DirtyRingAbi;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.ManualDirtyLog;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.memslot.MemslotChange;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vm.VmCommand.*;
import kvmsim.domain.vm.VmEvent.*;

/** decide/evolve for struct kvm. */
public final class VmDecider {

    private VmDecider() {
    }

    public static Decision decide(VmState s, VmCommand c) {
        if (!s.created() && !(c instanceof Create)) {
            return Decision.reject(Errno.EBADF); // an ioctl on a VM fd that was never created
        }
        return switch (c) {
            case Create cr -> s.created() ? Decision.reject(Errno.EEXIST) : Decision.accept(new VmCreated(cr.arch(),
                    cr.type(), cr.host(), cr.hostFeatures().mte(), cr.hostFeatures().fwb(), cr.hostFeatures().smm(),
                    cr.hostFeatures().adBits(), cr.hostFeatures().maxVcpus(), cr.hostFeatures().maxVcpuIds()));
            case EnableMaxVcpuId m -> enableMaxVcpuId(s, m);
            case EnableDirtyLogRing r -> enableDirtyLogRing(s, r);
            case CreateVcpu v -> createVcpu(s, v);
            case EnableMte m -> enableMte(s, m);
            case EnableManualDirtyLogProtect m -> enableManualDirtyLogProtect(m);
            case SetPendingOps p -> {
                Set<PendingOp> added = EnumSet.noneOf(PendingOp.class);
                added.addAll(p.ops());
                added.removeAll(s.pendingOps());
                yield added.isEmpty() ? Decision.ok() : Decision.accept(new PendingOpsSet(added));
            }
            case ClearPendingOps p -> {
                Set<PendingOp> cleared = EnumSet.noneOf(PendingOp.class);
                cleared.addAll(p.ops());
                cleared.retainAll(s.pendingOps());
                yield cleared.isEmpty() ? Decision.ok() : Decision.accept(new PendingOpsCleared(cleared));
            }
            case SetMemoryRegion m -> {
                KvmSetMemoryRegion.Verdict v = KvmSetMemoryRegion.check(s, m.request());
                yield v.errno() != null ? Decision.reject(v.errno()) : v.nothingToChange() ? Decision.ok()
                        : Decision.accept(new MemslotTableUpdated(v.change(), v.geometry()));
            }
            // kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH): every vCPU created so far
            case FlushRemoteTlbs f -> Decision.accept(new RemoteTlbFlushRequested(s.tlbFlushes() + 1, f.reason(),
                    s.vcpus()));
            case CompleteRemoteTlbFlush f -> s.flushInFlight() == null || s.flushInFlight().seq() != f.seq()
                    ? Decision.ok() // a late duplicate after a redelivered broadcast
                    : Decision.accept(new RemoteTlbFlushCompleted(f.seq(), f.flushed(), f.deferred()));
            case SetMemoryAttributes a -> Decision.accept(new MemoryAttributesSet(a.start(), a.end(), a.priv()));
            case ActivateGpc a -> s.gpc(a.gpc()).active() ? Decision.ok()
                    : Decision.accept(new GpcActivated(a.gpc(), a.len()));
            case CommitGpcRefresh r -> !s.gpc(r.gpc()).active() ? Decision.reject(Errno.EINVAL)
                    : Decision.accept(new GpcRefreshed(r.gpc(), r.gpa(), r.generation(), r.uhva(), r.pfn(),
                            r.isPrivate()));
            case FailGpcRefresh r -> Decision.accept(new GpcRefreshFailed(r.gpc(), r.gpa(), r.generation(), r.uhva()));
            case InvalidateGpcs i -> {
                List<String> hit = i.gpcs().stream().filter(g -> s.gpc(g).valid()).sorted().toList();
                yield hit.isEmpty() ? Decision.ok() : Decision.accept(new GpcInvalidated(hit));
            }
            case DeactivateGpc d -> s.gpc(d.gpc()).active() ? Decision.accept(new GpcDeactivated(d.gpc()))
                    : Decision.ok();
        };
    }

    // kvm_vm_ioctl_create_vcpu(): the id range, then created_vcpus against kvm->max_vcpus, then the
    // arch's precreate (x86: an id below kvm->arch.max_vcpu_ids, which the first vCPU latches), then
    // (after the vCPU is built) a duplicate id. At the vCPU limit a duplicate id is EINVAL, not EEXIST
    private static Decision createVcpu(VmState s, CreateVcpu v) {
        VmState.VcpuLimits limits = s.vcpuLimits();
        if (Long.compareUnsigned(v.vcpu(), limits.maxVcpuIds()) >= 0) {
            return Decision.reject(Errno.EINVAL);
        }
        if (s.vcpus().size() >= limits.maxVcpus()) {
            return Decision.reject(Errno.EINVAL);
        }
        // kvm_arch_vcpu_precreate() (x86)
        if (s.arch() == Arch.X86_64 && Long.compareUnsigned(v.vcpu(), limits.idLimit()) >= 0) {
            return Decision.reject(Errno.EINVAL);
        }
        if (s.vcpus().contains(v.vcpu())) {
            return Decision.reject(Errno.EEXIST);
        }
        return Decision.accept(new VcpuAdded(v.vcpu()));
    }

    // kvm_vm_ioctl_enable_cap(KVM_CAP_MAX_VCPU_ID) (x86): at most KVM_MAX_VCPU_IDS; once set (or latched
    // by the first vCPU) only the same value again; kvmsim keeps the boot vCPU id at its default, 0
    private static Decision enableMaxVcpuId(VmState s, EnableMaxVcpuId m) {
        VmState.VcpuLimits limits = s.vcpuLimits();
        if (s.arch() != Arch.X86_64 || Long.compareUnsigned(m.maxVcpuIds(), limits.maxVcpuIds()) > 0) {
            return Decision.reject(Errno.EINVAL);
        }
        if (limits.archMaxVcpuIds() == m.maxVcpuIds()) {
            return Decision.ok();
        }
        return limits.archMaxVcpuIds() == 0 ? Decision.accept(new MaxVcpuIdsSet(m.maxVcpuIds()))
                : Decision.reject(Errno.EINVAL);
    }

    // kvm_vm_ioctl_enable_dirty_log_ring(): a power of two, at least a page and the reserved entries,
    // at most KVM_DIRTY_RING_MAX_ENTRIES (E2BIG), once, and before any vCPU (kvm->created_vcpus)
    private static Decision enableDirtyLogRing(VmState s, EnableDirtyLogRing r) {
        long size = r.size();
        if (size == 0 || (size & (size - 1)) != 0) {
            return Decision.reject(Errno.EINVAL);
        }
        if (size < DirtyRingAbi.rsvdEntries() * DirtyRingAbi.KVM_DIRTY_GFN_SIZE || size < Pages.PAGE_SIZE) {
            return Decision.reject(Errno.EINVAL);
        }
        if (size > DirtyRingAbi.KVM_DIRTY_RING_MAX_ENTRIES * DirtyRingAbi.KVM_DIRTY_GFN_SIZE) {
            return Decision.reject(Errno.E2BIG);
        }
        if (s.dirtyRingSize() != 0) {
            return Decision.reject(Errno.EINVAL); // only once, whichever of the two caps set it
        }
        if (!s.vcpus().isEmpty()) {
            return Decision.reject(Errno.EINVAL);
        }
        return Decision.accept(new DirtyRingEnabled(size, r.acqRel()));
    }

    // kvm_vm_ioctl_enable_cap(KVM_CAP_ARM_MTE): v5 06/38 dropped the "no locked memslot" condition
    private static Decision enableMte(VmState s, EnableMte m) {
        if (s.arch() != Arch.ARM64) {
            return Decision.reject(Errno.EINVAL);
        }
        if (m.flags() != 0) {
            return Decision.reject(Errno.EINVAL);
        }
        if (!s.mteSupported() || !s.vcpus().isEmpty()) {
            return Decision.reject(Errno.EINVAL);
        }
        return s.mte() ? Decision.ok() : Decision.accept(new MteEnabled());
    }

    // kvm_vm_ioctl_enable_cap_generic(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): INITIALLY_SET only with ENABLE
    private static Decision enableManualDirtyLogProtect(EnableManualDirtyLogProtect m) {
        long enable = ManualDirtyLog.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE.value();
        long allowed = enable;
        if ((m.options() & enable) != 0) {
            allowed = enable | ManualDirtyLog.KVM_DIRTY_LOG_INITIALLY_SET.value(); // KVM_DIRTY_LOG_MANUAL_CAPS
        }
        if (m.flags() != 0 || (m.options() & ~allowed) != 0) {
            return Decision.reject(Errno.EINVAL);
        }
        return Decision.accept(new ManualDirtyLogProtectSet(m.options()));
    }

    public static VmState evolve(VmState s, VmEvent e, int line) {
        return switch (e) {
            case VmCreated c -> new VmState(s.id(), true, c.arch(), c.type(), c.host(), c.mteSupported(), c.fwb(),
                    c.smm(), c.adBits(), false, 0, List.of(), Map.of(), Set.of(), 0, null, 0, MemoryAttributes.NONE,
                    Map.of(), new VmState.VcpuLimits(c.maxVcpus(), c.maxVcpuIds(), 0), 0, false);
            case MaxVcpuIdsSet m -> s.withVcpuLimits(s.vcpuLimits().withArchMaxVcpuIds(m.maxVcpuIds()));
            case VcpuAdded v -> {
                List<Long> vcpus = new ArrayList<>(s.vcpus());
                vcpus.add(v.vcpu());
                // x86 kvm_arch_vcpu_precreate(): the first vCPU latches kvm->arch.max_vcpu_ids if unset
                VmState.VcpuLimits l = s.vcpuLimits();
                yield s.withVcpus(vcpus).withVcpuLimits(s.arch() == Arch.X86_64 && l.archMaxVcpuIds() == 0
                        ? l.withArchMaxVcpuIds(l.maxVcpuIds()) : l);
            }
            case MteEnabled m -> s.withMte(true);
            case DirtyRingEnabled r -> s.withDirtyRing(r.size(), r.acqRel());
            case ManualDirtyLogProtectSet m -> s.withManualDirtyLogProtect(m.options());
            case PendingOpsSet p -> {
                Set<PendingOp> ops = EnumSet.noneOf(PendingOp.class);
                ops.addAll(s.pendingOps());
                ops.addAll(p.ops());
                yield s.withPendingOps(ops);
            }
            case PendingOpsCleared p -> {
                Set<PendingOp> ops = EnumSet.noneOf(PendingOp.class);
                ops.addAll(s.pendingOps());
                ops.removeAll(p.ops());
                yield s.withPendingOps(ops);
            }
            case MemslotTableUpdated u -> {
                Map<Long, SlotGeometry> slots = new HashMap<>(s.slots());
                if (u.change() == MemslotChange.KVM_MR_DELETE) {
                    slots.remove(u.geometry().slot());
                } else {
                    slots.put(u.geometry().slot(), u.geometry());
                }
                yield s.withSlots(slots);
            }
            case RemoteTlbFlushRequested r -> s.withFlush(r.seq(), new VmState.FlushInFlight(r.seq(), line, r.reason()));
            case RemoteTlbFlushCompleted c -> s.withFlush(s.tlbFlushes(), null);
            case MemoryAttributesSet a -> s.withAttributes(s.attributes().with(a.start(), a.end(), a.priv()));
            case GpcActivated a -> s.withGpc(a.gpc(), s.gpc(a.gpc()).activated(a.len()));
            case GpcRefreshed r -> s.withGpc(r.gpc(), s.gpc(r.gpc()).refreshed(r.gpa(), r.generation(), r.uhva(),
                    r.pfn(), r.isPrivate()));
            case GpcRefreshFailed f -> s.withGpc(f.gpc(), s.gpc(f.gpc()).failed(f.gpa(), f.generation(), f.uhva()));
            case GpcInvalidated i -> {
                VmState out = s;
                for (String g : i.gpcs()) {
                    out = out.withGpc(g, out.gpc(g).invalidated());
                }
                yield out;
            }
            case GpcDeactivated d -> s.withGpc(d.gpc(), s.gpc(d.gpc()).deactivated());
        };
    }
}
