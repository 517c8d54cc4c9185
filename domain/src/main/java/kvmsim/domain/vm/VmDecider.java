package kvmsim.domain.vm;

import kvmsim.domain.abi.KvmLimits;
import kvmsim.domain.memslot.MemslotChange;
import kvmsim.domain.memslot.SlotGeometry;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.vm.VmCommand.*;
import kvmsim.domain.vm.VmEvent.*;

/** decide/evolve for struct kvm. */
public final class VmDecider {

    private VmDecider() {
    }

    public static Decision decide(VmState s, VmCommand c) {
        if (c instanceof Create cr) {
            return s.created() ? Decision.reject(Errno.EEXIST) : Decision.accept(new VmCreated(cr.arch(), cr.type(),
                    cr.host(), cr.hostFeatures().mte(), cr.hostFeatures().fwb(), cr.hostFeatures().smm(),
                    cr.hostFeatures().adBits()));
        }
        if (!s.created()) {
            return Decision.reject(Errno.EBADF); // an ioctl on a VM fd that was never created
        }
        if (c instanceof Query) {
            return Decision.ok();
        } else if (c instanceof CreateVcpu v) {
            return createVcpu(s, v);
        } else if (c instanceof EnableMte m) {
            return enableMte(s, m);
        } else if (c instanceof EnableManualDirtyLogProtect m) {
            return enableManualDirtyLogProtect(m);
        } else if (c instanceof SetPendingOps p) {
            Set<PendingOp> added = EnumSet.noneOf(PendingOp.class);
            added.addAll(p.ops());
            added.removeAll(s.pendingOps());
            return added.isEmpty() ? Decision.ok() : Decision.accept(new PendingOpsSet(added));
        } else if (c instanceof ClearPendingOps p) {
            Set<PendingOp> cleared = EnumSet.noneOf(PendingOp.class);
            cleared.addAll(p.ops());
            cleared.retainAll(s.pendingOps());
            return cleared.isEmpty() ? Decision.ok() : Decision.accept(new PendingOpsCleared(cleared));
        } else if (c instanceof CommitMemslot m) {
            return Decision.accept(new MemslotTableUpdated(m.change(), m.geometry()));
        } else if (c instanceof FlushRemoteTlbs f) {
            // kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH): every vCPU created so far
            return Decision.accept(new RemoteTlbFlushRequested(s.tlbFlushes() + 1, f.reason(), s.vcpus()));
        } else if (c instanceof CompleteRemoteTlbFlush f) {
            if (s.flushInFlight() == null || s.flushInFlight().seq() != f.seq()) {
                return Decision.ok(); // a late duplicate after a redelivered broadcast
            }
            return Decision.accept(new RemoteTlbFlushCompleted(f.seq(), f.flushed(), f.deferred()));
        } else if (c instanceof SetMemoryAttributes a) {
            return Decision.accept(new MemoryAttributesSet(a.start(), a.end(), a.priv()));
        } else if (c instanceof ActivateGpc a) {
            return s.gpc(a.gpc()).active() ? Decision.ok() : Decision.accept(new GpcActivated(a.gpc(), a.len()));
        } else if (c instanceof CommitGpcRefresh r) {
            if (!s.gpc(r.gpc()).active()) {
                return Decision.reject(Errno.EINVAL);
            }
            return Decision.accept(new GpcRefreshed(r.gpc(), r.gpa(), r.generation(), r.uhva(), r.pfn(),
                    r.isPrivate()));
        } else if (c instanceof FailGpcRefresh r) {
            return Decision.accept(new GpcRefreshFailed(r.gpc(), r.gpa(), r.generation(), r.uhva()));
        } else if (c instanceof InvalidateGpcs i) {
            List<String> hit = i.gpcs().stream().filter(g -> s.gpc(g).valid()).sorted().toList();
            return hit.isEmpty() ? Decision.ok() : Decision.accept(new GpcInvalidated(hit));
        } else if (c instanceof DeactivateGpc d) {
            return s.gpc(d.gpc()).active() ? Decision.accept(new GpcDeactivated(d.gpc())) : Decision.ok();
        }
        throw new IllegalArgumentException("unhandled vm command " + c);
    }

    // kvm_vm_ioctl_create_vcpu(): id range, then created_vcpus, then (after arch create) a duplicate id
    private static Decision createVcpu(VmState s, CreateVcpu v) {
        if (Long.compareUnsigned(v.vcpu(), KvmLimits.maxVcpuIds(s.arch())) >= 0) {
            return Decision.reject(Errno.EINVAL);
        }
        if (s.vcpus().size() >= KvmLimits.maxVcpus(s.arch())) {
            return Decision.reject(Errno.EINVAL);
        }
        if (s.vcpus().contains(v.vcpu())) {
            return Decision.reject(Errno.EEXIST);
        }
        return Decision.accept(new VcpuAdded(v.vcpu()));
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
        long allowed = VmState.MANUAL_PROTECT_ENABLE;
        if ((m.options() & VmState.MANUAL_PROTECT_ENABLE) != 0) {
            allowed = VmState.MANUAL_PROTECT_ENABLE | VmState.INITIALLY_SET; // KVM_DIRTY_LOG_MANUAL_CAPS
        }
        if (m.flags() != 0 || (m.options() & ~allowed) != 0) {
            return Decision.reject(Errno.EINVAL);
        }
        return Decision.accept(new ManualDirtyLogProtectSet(m.options()));
    }

    public static VmState evolve(VmState s, VmEvent e, int line) {
        if (e instanceof VmCreated c) {
            return new VmState(s.id(), true, c.arch(), c.type(), c.host(), c.mteSupported(), c.fwb(), c.smm(),
                    c.adBits(), false, 0, List.of(), Map.of(), Set.of(), 0, null, 0,
                    kvmsim.domain.vm.MemoryAttributes.NONE, Map.of());
        } else if (e instanceof VcpuAdded v) {
            List<Long> vcpus = new ArrayList<>(s.vcpus());
            vcpus.add(v.vcpu());
            return s.withVcpus(vcpus);
        } else if (e instanceof MteEnabled) {
            return s.withMte(true);
        } else if (e instanceof ManualDirtyLogProtectSet m) {
            return s.withManualDirtyLogProtect(m.options());
        } else if (e instanceof PendingOpsSet p) {
            Set<PendingOp> ops = EnumSet.noneOf(PendingOp.class);
            ops.addAll(s.pendingOps());
            ops.addAll(p.ops());
            return s.withPendingOps(ops);
        } else if (e instanceof PendingOpsCleared p) {
            Set<PendingOp> ops = EnumSet.noneOf(PendingOp.class);
            ops.addAll(s.pendingOps());
            ops.removeAll(p.ops());
            return s.withPendingOps(ops);
        } else if (e instanceof MemslotTableUpdated u) {
            Map<Long, SlotGeometry> slots = new HashMap<>(s.slots());
            if (u.change() == MemslotChange.KVM_MR_DELETE) {
                slots.remove(u.geometry().slot());
            } else {
                slots.put(u.geometry().slot(), u.geometry());
            }
            return s.withSlots(slots);
        } else if (e instanceof RemoteTlbFlushRequested r) {
            return s.withFlush(r.seq(), new VmState.FlushInFlight(r.seq(), line, r.reason()));
        } else if (e instanceof RemoteTlbFlushCompleted) {
            return s.withFlush(s.tlbFlushes(), null);
        } else if (e instanceof MemoryAttributesSet a) {
            return s.withAttributes(s.attributes().with(a.start(), a.end(), a.priv()));
        } else if (e instanceof GpcActivated a) {
            return s.withGpc(a.gpc(), s.gpc(a.gpc()).activated(a.len()));
        } else if (e instanceof GpcRefreshed r) {
            return s.withGpc(r.gpc(), s.gpc(r.gpc()).refreshed(r.gpa(), r.generation(), r.uhva(), r.pfn(),
                    r.isPrivate()));
        } else if (e instanceof GpcRefreshFailed f) {
            return s.withGpc(f.gpc(), s.gpc(f.gpc()).failed(f.gpa(), f.generation(), f.uhva()));
        } else if (e instanceof GpcInvalidated i) {
            VmState out = s;
            for (String g : i.gpcs()) {
                out = out.withGpc(g, out.gpc(g).invalidated());
            }
            return out;
        } else if (e instanceof GpcDeactivated d) {
            return s.withGpc(d.gpc(), s.gpc(d.gpc()).deactivated());
        }
        throw new IllegalArgumentException("unhandled vm event " + e);
    }
}
