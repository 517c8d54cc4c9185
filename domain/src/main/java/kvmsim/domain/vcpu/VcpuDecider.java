package kvmsim.domain.vcpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arm64Abi;
import kvmsim.domain.abi.ArmTarget;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.Event;
import kvmsim.domain.vcpu.VcpuCommand.*;
import kvmsim.domain.vcpu.VcpuEvent.*;

/** decide/evolve for struct kvm_vcpu. */
public final class VcpuDecider {

    private VcpuDecider() {
    }

    public static Decision decide(VcpuState s, VcpuCommand c) {
        if (!s.created() && !(c instanceof Create)) {
            return Decision.reject(Errno.EBADF);
        }
        return switch (c) {
            case Create cr -> s.created() ? Decision.reject(Errno.EEXIST) : cr.dirtyRingSize() == 0
                    ? Decision.accept(new VcpuCreated())
                    // kvm_vm_ioctl_create_vcpu(): kvm_dirty_ring_alloc() after kvm_arch_vcpu_create()
                    : Decision.accept(new VcpuCreated(), new DirtyRingAllocated(cr.dirtyRingSize()));
            case DirtyRingPush p -> dirtyRingPush(s, p);
            case DirtyRingCheckRequest r -> kvmDirtyRingCheckRequest(s) ? Decision.accept(new DirtyRingFullExit())
                    : Decision.ok();
            case HarvestDirtyRing h -> harvest(s, h);
            case ResetDirtyRing r -> {
                List<DirtyRing.DirtyGfn> reset = s.dirtyRing() == null ? List.of() : s.dirtyRing().resettable();
                yield reset.isEmpty() ? Decision.ok() : Decision.accept(new DirtyRingReset(reset));
            }
            case ArmInit i -> armInit(s, i);
            case EnterGuest g -> enterGuest(s, g);
            case RunFailed f -> s.inGuest() ? Decision.accept(new VcpuLeftGuest()) : Decision.ok();
            case GuestAccess a -> guestAccess(s, a);
            case TlbFlushRequest r -> tlbFlushRequest(s, r);
        };
    }

    private static Decision guestAccess(VcpuState s, GuestAccess a) {
        if (!s.inGuest()) {
            return Decision.reject(Errno.ENOEXEC); // kvmsim: a guest step needs a vCPU inside KVM_RUN
        }
        List<Event> events = new ArrayList<>();
        long gfn = Pages.pageOf(a.gpa());
        if (a.fill() != null && !a.fill().equals(s.tlbEntry(gfn))) {
            events.add(new TlbFilled(gfn, a.fill().writable()));
        }
        events.add(new GuestAccessed(a.kind(), a.gpa(), a.slot(), a.hvaPage(), a.exit(), a.faulted(), a.tlbHit()));
        return Decision.accept(events);
    }

    // kvm_make_vcpu_request(KVM_REQ_TLB_FLUSH): KVM_REQUEST_WAIT kicks a vCPU that is not OUTSIDE_GUEST_MODE
    // and waits for it; one outside guest mode services the request in vcpu_enter_guest()
    private static Decision tlbFlushRequest(VcpuState s, TlbFlushRequest r) {
        if (r.seq() <= s.flushRequestsSeen()) {
            // asked again (a broadcast round timed out, or its sender recovered): the same answer as then
            return r.seq() == s.flushRequestsSeen() && s.lastFlushAck() != null ? Decision.again(s.lastFlushAck())
                    : Decision.ok();
        }
        if (s.inGuest()) {
            return Decision.accept(new TlbFlushed(r.seq(), s.tlb().size()));
        }
        return Decision.accept(new TlbFlushDeferred(r.seq()));
    }

    // kvm_dirty_ring_push(): KVM_REQ_DIRTY_RING_SOFT_FULL is made while the ring is soft-full
    private static Decision dirtyRingPush(VcpuState s, DirtyRingPush p) {
        if (s.dirtyRing() == null) {
            throw new IllegalStateException("kvm_dirty_ring_push() on vCPU " + s.id() + " of a VM without a ring");
        }
        return Decision.accept(new DirtyRingPushed(p.slot(), p.offset()));
    }

    // kvm_dirty_ring_check_request(): KVM_REQ_DIRTY_RING_SOFT_FULL is only made by a push that leaves
    // the ring soft-full and is re-armed while it stays so, so the request is pending exactly then
    private static boolean kvmDirtyRingCheckRequest(VcpuState s) {
        return s.dirtyRing() != null && s.dirtyRing().softFull();
    }

    // the VMM's harvest (Documentation/virt/kvm/api.rst, "dirty ring"): read from its index while entries
    // are dirty; a vCPU without a ring has nothing mapped (kvmsim: EINVAL where the VMM would fault)
    private static Decision harvest(VcpuState s, HarvestDirtyRing h) {
        if (s.dirtyRing() == null) {
            return Decision.reject(Errno.EINVAL);
        }
        List<DirtyRing.DirtyGfn> read = s.dirtyRing().harvestable(h.max());
        return read.isEmpty() ? Decision.ok() : Decision.accept(new DirtyGfnsHarvested(read));
    }

    // vcpu_enter_guest(): kvm_check_request(KVM_REQ_TLB_FLUSH) -> kvm_vcpu_flush_tlb_all(), then entry;
    // a soft-full dirty ring ends KVM_RUN first (kvm_dirty_ring_check_request()), the flush still pending
    private static Decision enterGuest(VcpuState s, EnterGuest g) {
        // kvm_arch_vcpu_ioctl_run(): !kvm_vcpu_initialized() is -ENOEXEC
        if (g.requireInit() && !s.initialised()) {
            return Decision.reject(Errno.ENOEXEC);
        }
        if (kvmDirtyRingCheckRequest(s)) {
            return Decision.accept(new DirtyRingFullExit());
        }
        if (s.flushPending()) {
            return Decision.accept(new TlbFlushed(s.flushRequestsSeen(), s.tlb().size()), new VcpuEnteredGuest());
        }
        return Decision.accept(new VcpuEnteredGuest());
    }

    // kvm_vcpu_set_target() + kvm_vcpu_init_check_features() (5.15-6.5)
    private static Decision armInit(VcpuState s, ArmInit i) {
        if (i.target() != ArmTarget.KVM_ARM_TARGET_GENERIC_V8.value()) {
            return Decision.reject(Errno.EINVAL); // init->target != kvm_target_cpu()
        }
        if ((i.features() >>> Arm64Abi.KVM_VCPU_MAX_FEATURES) != 0) {
            return Decision.reject(Errno.ENOENT); // features & ~KVM_VCPU_VALID_FEATURES
        }
        if (s.initialised() && i.features() != s.features()) {
            return Decision.reject(Errno.EINVAL); // kvm_vcpu_init_changed()
        }
        return Decision.accept(new VcpuInitialised(i.target(), i.features(), s.hasRunOnce()));
    }

    public static VcpuState evolve(VcpuState s, VcpuEvent e) {
        return switch (e) {
            case VcpuCreated c -> VcpuState.initial(s.vm(), s.id()).withRun(true, false, 0, 0, false, false);
            case VcpuInitialised i -> s.withRun(true, true, i.target(), i.features(), s.hasRunOnce(), false);
            case VcpuEnteredGuest g -> s.withRun(true, s.initialised(), s.target(), s.features(), true, true);
            case VcpuLeftGuest l -> s.withRun(true, s.initialised(), s.target(), s.features(), s.hasRunOnce(), false);
            case GuestAccessed a -> s;
            case DirtyRingAllocated a -> s.withDirtyRing(DirtyRing.alloc(a.bytes()));
            case DirtyRingPushed p -> s.withDirtyRing(s.dirtyRing().pushed(p.slot(), p.offset()));
            case DirtyRingFullExit x -> s.withRun(true, s.initialised(), s.target(), s.features(), s.hasRunOnce(),
                    false);
            case DirtyGfnsHarvested h -> s.withDirtyRing(s.dirtyRing().harvested(h.gfns().size()));
            case DirtyRingReset r -> s.withDirtyRing(s.dirtyRing().reset(r.gfns().size()));
            case TlbFilled f -> s.withFilled(f.gfn(), TlbEntry.of(f.writable()));
            case TlbFlushed f -> {
                // a deferred flush serviced on entry: the request was answered "deferred", and stays so
                VcpuEvent ack = s.flushPending() ? s.lastFlushAck() : f;
                yield s.withFlushAck(Map.of(), Math.max(f.seq(), s.flushRequestsSeen()), false, ack);
            }
            case TlbFlushDeferred d -> s.withFlushAck(s.tlb(), d.seq(), true, d);
        };
    }
}
