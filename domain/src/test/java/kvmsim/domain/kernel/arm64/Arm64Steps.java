package kvmsim.domain.kernel.arm64;

import java.util.List;
import java.util.function.Function;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.ArmLockArg;
import kvmsim.domain.abi.ArmLockFlag;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.vcpu.GuestAccessKind;

/** The trace steps of the arm64 flows, on vm0 of host0, for {@link StepsSpec}. */
final class Arm64Steps {

    static final String VM = "vm0";
    static final String HOST = "host0";
    static final long PAGE = Pages.PAGE_SIZE;
    static final long READ = ArmLockArg.KVM_ARM_LOCK_MEM_READ.value();
    static final long WRITE = ArmLockArg.KVM_ARM_LOCK_MEM_WRITE.value();
    static final long ALL = ArmLockArg.KVM_ARM_UNLOCK_MEM_ALL.value();
    static final long LOCK = ArmLockFlag.KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_LOCK.value();
    static final long UNLOCK = ArmLockFlag.KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_UNLOCK.value();

    private Arm64Steps() {
    }

    static HostFeatures features(boolean mte, boolean fwb) {
        HostFeatures d = HostFeatures.defaults(Arch.ARM64);
        return d.with(HostFeature.MTE, mte).with(HostFeature.FWB, fwb);
    }

    static Function<StepMeta, Step> host(HostFeatures f) {
        return m -> new Step.HostDecl(m, HOST, Arch.ARM64, f, false);
    }

    static Function<StepMeta, Step> createVm() {
        return m -> new Step.CreateVm(m, VM, HOST, Arch.ARM64, null);
    }

    /** HOST (MTE, no FWB) and KVM_CREATE_VM. */
    static StepsSpec arm64Vm() {
        return arm64Vm(features(true, false));
    }

    static StepsSpec arm64Vm(HostFeatures f) {
        return new StepsSpec().step(host(f)).step(createVm());
    }

    static Function<StepMeta, Step> mmap(long hva, long length, boolean shared) {
        return m -> new Step.Mmap(m, HOST, hva, length, shared, false);
    }

    static Function<StepMeta, Step> rlimitMemlock(long bytes) {
        return m -> new Step.SetRlimitMemlock(m, HOST, bytes);
    }

    /** KVM_SET_USER_MEMORY_REGION of {@code npages} pages. */
    static Function<StepMeta, Step> region(long slot, long flags, long gpa, long npages, long hva) {
        return m -> new Step.SetUserMemoryRegion(m, VM, slot, flags, gpa, npages * PAGE, hva);
    }

    /** KVM_ENABLE_CAP(KVM_CAP_ARM_LOCK_USER_MEMORY_REGION) with any flags and args. */
    static Function<StepMeta, Step> lockCap(long flags, long a0, long a1, long a2, long a3) {
        return m -> new Step.EnableCap(m, VM, Cap.KVM_CAP_ARM_LOCK_USER_MEMORY_REGION, flags,
                List.of(a0, a1, a2, a3));
    }

    static Function<StepMeta, Step> lock(long slot, long lockFlags) {
        return lockCap(LOCK, slot, lockFlags, 0, 0);
    }

    static Function<StepMeta, Step> unlock(long slot, long unlockFlags) {
        return lockCap(UNLOCK, slot, unlockFlags, 0, 0);
    }

    static Function<StepMeta, Step> enableMte() {
        return m -> new Step.EnableCap(m, VM, Cap.KVM_CAP_ARM_MTE, 0, List.of(0L, 0L, 0L, 0L));
    }

    static Function<StepMeta, Step> createVcpu(long vcpu) {
        return m -> new Step.CreateVcpu(m, VM, vcpu);
    }

    /** KVM_ARM_VCPU_INIT with the preferred target and no features. */
    static Function<StepMeta, Step> init(long vcpu) {
        return m -> new Step.ArmVcpuInit(m, VM, vcpu, null, 0);
    }

    static Function<StepMeta, Step> run(long vcpu) {
        return m -> new Step.Run(m, VM, vcpu);
    }

    static Function<StepMeta, Step> guest(long vcpu, GuestAccessKind kind, long gpa) {
        return m -> new Step.GuestAccess(m, VM, vcpu, kind, gpa);
    }

    static Function<StepMeta, Step> userspaceWrite(long gpa, long length) {
        return m -> new Step.UserspaceWrite(m, VM, gpa, length);
    }
}
