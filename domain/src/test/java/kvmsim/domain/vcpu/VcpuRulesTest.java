package kvmsim.domain.vcpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import kvmsim.domain.abi.ArmTarget;
import kvmsim.domain.abi.ArmVcpuFeature;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.testing.DeciderSpec;
import kvmsim.domain.vcpu.VcpuCommand.*;
import kvmsim.domain.vcpu.VcpuEvent.*;
import org.junit.jupiter.api.Test;

/**
 * The rules struct kvm_vcpu decides alone on arm64: KVM_CREATE_VCPU's vCPU half, KVM_ARM_VCPU_INIT
 * (kvm_vcpu_set_target() / kvm_vcpu_init_check_features() / kvm_vcpu_init_changed()), the entry of
 * KVM_RUN and a guest access, which needs a vCPU inside KVM_RUN.
 */
class VcpuRulesTest {

    private static final EntityId VCPU = EntityId.vcpu("vm0", 0);
    private static final long GENERIC = ArmTarget.KVM_ARM_TARGET_GENERIC_V8.value();
    private static final long PSCI = ArmVcpuFeature.KVM_ARM_VCPU_PSCI_0_2.value();
    private static final long PMU = ArmVcpuFeature.KVM_ARM_VCPU_PMU_V3.value();
    private static final long GPA = 0x80001000L;

    private static DeciderSpec created() {
        return DeciderSpec.given(VCPU, new VcpuCreated());
    }

    private static DeciderSpec initialised(long features) {
        return DeciderSpec.given(VCPU, new VcpuCreated(), new VcpuInitialised(GENERIC, features, false));
    }

    private static DeciderSpec inGuest() {
        return DeciderSpec.given(VCPU, new VcpuCreated(), new VcpuInitialised(GENERIC, 0, false),
                new VcpuEnteredGuest());
    }

    private static GuestAccess read(GuestExit exit) {
        return new GuestAccess(GuestAccessKind.READ, GPA, 0, 0x7f0000001L, exit, false, null, null);
    }

    // ---- kvm_vm_ioctl_create_vcpu(): the vCPU's fd ----

    @Test
    void createVcpu_makesTheVcpu() {
        VcpuState s = (VcpuState) DeciderSpec.given(VCPU).when(new Create()).thenEvents(new VcpuCreated());
        assertTrue(s.created());
        assertFalse(s.initialised(), "a new vCPU is not initialised before KVM_ARM_VCPU_INIT");
    }

    @Test
    void createVcpu_twiceIsEexist() {
        created().when(new Create()).thenErrno(Errno.EEXIST);
    }

    @Test
    void everyVcpuIoctlBeforeCreateVcpuIsEbadf() {
        DeciderSpec.given(VCPU).when(new ArmInit(GENERIC, 0)).thenErrno(Errno.EBADF);
        DeciderSpec.given(VCPU).when(new EnterGuest(true)).thenErrno(Errno.EBADF);
        DeciderSpec.given(VCPU).when(new RunFailed()).thenErrno(Errno.EBADF);
        DeciderSpec.given(VCPU).when(read(GuestExit.NONE)).thenErrno(Errno.EBADF);
    }

    // ---- KVM_ARM_VCPU_INIT ----

    @Test
    void kvmVcpuSetTarget_aTargetOtherThanKvmTargetCpuIsEinval() {
        created().when(new ArmInit(ArmTarget.KVM_ARM_TARGET_CORTEX_A57.value(), 0)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmVcpuInitCheckFeatures_aFeatureBitAtOrBeyondKvmVcpuMaxFeaturesIsEnoent() {
        created().when(new ArmInit(GENERIC, 1L << 7)).thenErrno(Errno.ENOENT);
        created().when(new ArmInit(GENERIC, 1L << 32)).thenErrno(Errno.ENOENT); // features[1]
    }

    @Test
    void kvmVcpuInitCheckFeatures_theLastKnownFeatureBitIsAccepted() {
        created().when(new ArmInit(GENERIC, 1L << 6))
                .thenEvents(new VcpuInitialised(GENERIC, 1L << 6, false));
    }

    @Test
    void kvmVcpuSetTarget_firstInitRecordsTargetAndFeatures() {
        VcpuState s = (VcpuState) created().when(new ArmInit(GENERIC, PSCI))
                .thenEvents(new VcpuInitialised(GENERIC, PSCI, false));
        assertTrue(s.initialised());
    }

    @Test
    void kvmVcpuInitChanged_reInitWithOtherFeaturesIsEinval() {
        initialised(PSCI).when(new ArmInit(GENERIC, PMU)).thenErrno(Errno.EINVAL);
        initialised(PSCI).when(new ArmInit(GENERIC, 0)).thenErrno(Errno.EINVAL);
    }

    @Test
    void kvmVcpuInitChanged_reInitWithTheSameFeaturesResetsTheVcpu() {
        initialised(PSCI).when(new ArmInit(GENERIC, PSCI)).thenEvents(new VcpuInitialised(GENERIC, PSCI, false));
    }

    @Test
    void kvmArchVcpuIoctlVcpuInit_reInitOfAVcpuThatRanIsAReset() {
        // vcpu_has_run_once(): the reset flag is what makes the caller do stage2_unmap_vm()
        VcpuState after = (VcpuState) inGuest().when(new ArmInit(GENERIC, 0))
                .thenEvents(new VcpuInitialised(GENERIC, 0, true));
        assertFalse(after.inGuest(), "a vCPU ioctl means the vCPU left KVM_RUN");
    }

    @Test
    void kvmArchVcpuIoctlVcpuInit_aVcpuThatRanAndLeftIsStillReset() {
        DeciderSpec.given(VCPU, new VcpuCreated(), new VcpuInitialised(GENERIC, 0, false), new VcpuEnteredGuest(),
                new VcpuLeftGuest())
                .when(new ArmInit(GENERIC, 0)).thenEvents(new VcpuInitialised(GENERIC, 0, true));
    }

    // ---- kvm_arch_vcpu_ioctl_run(): entry ----

    @Test
    void kvmArchVcpuIoctlRun_beforeInitIsEnoexec() {
        created().when(new EnterGuest(true)).thenErrno(Errno.ENOEXEC);
    }

    @Test
    void kvmArchVcpuIoctlRun_anInitialisedVcpuEntersTheGuest() {
        VcpuState s = (VcpuState) initialised(0).when(new EnterGuest(true)).thenEvents(new VcpuEnteredGuest());
        assertTrue(s.inGuest());
        assertTrue(s.hasRunOnce());
    }

    @Test
    void kvmArchVcpuIoctlRun_withoutTheInitRuleAnUninitialisedVcpuEnters() {
        // x86 has no KVM_ARM_VCPU_INIT: the caller asks without requireInit
        created().when(new EnterGuest(false)).thenEvents(new VcpuEnteredGuest());
    }

    @Test
    void runFailed_bringsAVcpuInGuestBackToUserspace() {
        VcpuState s = (VcpuState) inGuest().when(new RunFailed()).thenEvents(new VcpuLeftGuest());
        assertFalse(s.inGuest());
        assertTrue(s.hasRunOnce(), "a vCPU that entered once has run, even after a failed KVM_RUN");
    }

    @Test
    void runFailed_onAVcpuOutsideTheGuestChangesNothing() {
        initialised(0).when(new RunFailed()).thenNothing();
    }

    // ---- a guest access ----

    @Test
    void guestAccess_outsideKvmRunIsEnoexec() {
        initialised(0).when(read(GuestExit.NONE)).thenErrno(Errno.ENOEXEC);
        DeciderSpec.given(VCPU, new VcpuCreated(), new VcpuInitialised(GENERIC, 0, false), new VcpuEnteredGuest(),
                new VcpuLeftGuest()).when(read(GuestExit.NONE)).thenErrno(Errno.ENOEXEC);
    }

    @Test
    void guestAccess_insideKvmRunIsRecordedWithItsExit() {
        inGuest().when(read(GuestExit.KVM_EXIT_MMIO)).thenEvents(new GuestAccessed(GuestAccessKind.READ, GPA, 0,
                0x7f0000001L, GuestExit.KVM_EXIT_MMIO, false, null));
    }
}
