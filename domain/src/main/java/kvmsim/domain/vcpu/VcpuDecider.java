package kvmsim.domain.vcpu;

import kvmsim.domain.arm64.Arm64Abi;
import kvmsim.domain.common.Errno;
import kvmsim.domain.kernel.Decision;
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
            // kvm_arch_vcpu_ioctl_run(): !kvm_vcpu_initialized() is -ENOEXEC
            if (g.requireInit() && !s.initialised()) {
                return Decision.reject(Errno.ENOEXEC);
            }
            return Decision.accept(new VcpuEnteredGuest());
        } else if (c instanceof RunFailed) {
            return s.inGuest() ? Decision.accept(new VcpuLeftGuest()) : Decision.ok();
        } else if (c instanceof GuestAccess a) {
            if (!s.inGuest()) {
                return Decision.reject(Errno.ENOEXEC); // kvmsim: a guest step needs a vCPU inside KVM_RUN
            }
            return Decision.accept(new GuestAccessed(a.kind(), a.gpa(), a.slot(), a.hvaPage(), a.exit(), a.faulted()));
        }
        throw new IllegalArgumentException("unhandled vcpu command " + c);
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
            return new VcpuState(s.vm(), s.id(), true, false, 0, 0, false, false);
        } else if (e instanceof VcpuInitialised i) {
            return new VcpuState(s.vm(), s.id(), true, true, i.target(), i.features(), s.hasRunOnce(), false);
        } else if (e instanceof VcpuEnteredGuest) {
            return new VcpuState(s.vm(), s.id(), true, s.initialised(), s.target(), s.features(), true, true);
        } else if (e instanceof VcpuLeftGuest) {
            return new VcpuState(s.vm(), s.id(), true, s.initialised(), s.target(), s.features(), s.hasRunOnce(),
                    false);
        } else if (e instanceof GuestAccessed) {
            return s;
        }
        throw new IllegalArgumentException("unhandled vcpu event " + e);
    }
}
