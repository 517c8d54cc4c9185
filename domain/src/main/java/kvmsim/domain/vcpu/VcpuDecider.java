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
            case Create cr -> s.created() ? Decision.reject(Errno.EEXIST) : Decision.accept(new VcpuCreated());
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

    // vcpu_enter_guest(): kvm_check_request(KVM_REQ_TLB_FLUSH) -> kvm_vcpu_flush_tlb_all(), then entry
    private static Decision enterGuest(VcpuState s, EnterGuest g) {
        // kvm_arch_vcpu_ioctl_run(): !kvm_vcpu_initialized() is -ENOEXEC
        if (g.requireInit() && !s.initialised()) {
            return Decision.reject(Errno.ENOEXEC);
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
