package kvmsim.domain.vcpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arm64Abi;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.Event;
import kvmsim.domain.vcpu.VcpuCommand.*;
import kvmsim.domain.vcpu.VcpuEvent.*;

/** decide/evolve for struct kvm_vcpu. */
public final class VcpuDecider {

    private VcpuDecider() {
    }

    public static Decision decide(VcpuState s, VcpuCommand c) {
        if (c instanceof Create) {
            return s.created() ? Decision.reject(Errno.EEXIST) : Decision.accept(new VcpuCreated());
        }
        if (!s.created()) {
            return Decision.reject(Errno.EBADF);
        }
        if (c instanceof Query) {
            return Decision.ok();
        } else if (c instanceof ArmInit i) {
            return armInit(s, i);
        } else if (c instanceof EnterGuest g) {
            return enterGuest(s, g);
        } else if (c instanceof RunFailed) {
            return s.inGuest() ? Decision.accept(new VcpuLeftGuest()) : Decision.ok();
        } else if (c instanceof GuestAccess a) {
            if (!s.inGuest()) {
                return Decision.reject(Errno.ENOEXEC); // kvmsim: a guest step needs a vCPU inside KVM_RUN
            }
            List<Event> events = new ArrayList<>();
            if (a.fill() != null && !a.fill().equals(s.tlbEntry(kvmsim.domain.abi.Pages.pageOf(a.gpa())))) {
                events.add(new TlbFilled(kvmsim.domain.abi.Pages.pageOf(a.gpa()), a.fill().writable()));
            }
            events.add(new GuestAccessed(a.kind(), a.gpa(), a.slot(), a.hvaPage(), a.exit(), a.faulted(),
                    a.tlbHit()));
            return Decision.accept(events);
        } else if (c instanceof TlbFlushRequest r) {
            return tlbFlushRequest(s, r);
        }
        throw new IllegalArgumentException("unhandled vcpu command " + c);
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
        if (i.target() != Arm64Abi.KVM_ARM_TARGET_GENERIC_V8) {
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
        if (e instanceof VcpuCreated) {
            return VcpuState.initial(s.vm(), s.id()).withRun(true, false, 0, 0, false, false);
        } else if (e instanceof VcpuInitialised i) {
            return s.withRun(true, true, i.target(), i.features(), s.hasRunOnce(), false);
        } else if (e instanceof VcpuEnteredGuest) {
            return s.withRun(true, s.initialised(), s.target(), s.features(), true, true);
        } else if (e instanceof VcpuLeftGuest) {
            return s.withRun(true, s.initialised(), s.target(), s.features(), s.hasRunOnce(), false);
        } else if (e instanceof GuestAccessed) {
            return s;
        } else if (e instanceof TlbFilled f) {
            return s.withFilled(f.gfn(), new TlbEntry(f.writable()));
        } else if (e instanceof TlbFlushed f) {
            // a deferred flush serviced on entry: the request was answered "deferred", and stays so
            VcpuEvent ack = s.flushPending() ? s.lastFlushAck() : f;
            return s.withFlushAck(Map.of(), Math.max(f.seq(), s.flushRequestsSeen()), false, ack);
        } else if (e instanceof TlbFlushDeferred d) {
            return s.withFlushAck(s.tlb(), d.seq(), true, d);
        }
        throw new IllegalArgumentException("unhandled vcpu event " + e);
    }
}
