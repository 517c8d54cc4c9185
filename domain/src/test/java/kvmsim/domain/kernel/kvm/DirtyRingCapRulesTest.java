package kvmsim.domain.kernel.kvm;

import static kvmsim.domain.testing.X86Steps.LOG;
import static kvmsim.domain.testing.X86Steps.clearDirtyLog;
import static kvmsim.domain.testing.X86Steps.getDirtyLog;
import static kvmsim.domain.testing.X86Steps.slot;
import static kvmsim.domain.testing.X86Steps.slotId;
import static kvmsim.domain.testing.X86Steps.vcpu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.function.Function;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.testing.X86Steps;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.vm.VmState;
import org.junit.jupiter.api.Test;

/**
 * KVM_ENABLE_CAP with the dirty-ring caps (kvm_vm_ioctl_enable_cap_generic()) and what a ring does
 * to the bitmap (kvm_use_dirty_bitmap(): kvm_prepare_memory_region(), KVM_GET_DIRTY_LOG and
 * KVM_CLEAR_DIRTY_LOG).
 */
class DirtyRingCapRulesTest {

    static Function<StepMeta, Step> ring(Cap cap, long... args) {
        return m -> new Step.EnableCap(m, "vm0", cap, 0, List.of(args.length > 0 ? args[0] : 0L, 0L, 0L, 0L));
    }

    private static VmState vm0(StepsSpec s) {
        return (VmState) s.state(X86Steps.VM);
    }

    @Test
    void bothRingCapsEnableTheSameRingOnceAndTheyExcludeEachOther() {
        StepsSpec s = X86Steps.vm(true).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 8192)).thenErrno(null);
        assertEquals(8192, vm0(s).dirtyRingSize());
        assertEquals(List.of("KVM_CAP_DIRTY_LOG_RING_ACQ_REL"), vm0(s).caps());
        s.step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, 8192)).thenErrno(Errno.EINVAL);
        StepsSpec plain = X86Steps.vm(true).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, 8192)).thenErrno(null);
        assertEquals(List.of("KVM_CAP_DIRTY_LOG_RING"), vm0(plain).caps());
        X86Steps.vm(true).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, 4096)).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
                4096)).thenErrno(Errno.EINVAL);
    }

    // kvm_vm_ioctl_enable_dirty_log_ring(struct kvm *kvm, u32 size): the upper half of args[0] is dropped
    @Test
    void args0IsTruncatedToU32() {
        StepsSpec s = X86Steps.vm(true).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, (1L << 32) + 4096)).thenErrno(null);
        assertEquals(4096, vm0(s).dirtyRingSize());
        X86Steps.vm(true).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, 1L << 32)).thenErrno(Errno.EINVAL);
    }

    @Test
    void afterKvmCreateVcpuTheRingIsEinval() {
        X86Steps.vm(true).step(vcpu(0)).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, 4096)).thenErrno(Errno.EINVAL);
    }

    // CONFIG_NEED_KVM_DIRTY_RING_WITH_BITMAP is arm64's: x86 refuses it with or without a ring
    @Test
    void withBitmapIsEinvalOnX86() {
        X86Steps.vm(true).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP)).thenErrno(Errno.EINVAL);
        X86Steps.vm(true).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, 4096))
                .step(ring(Cap.KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP)).thenErrno(Errno.EINVAL);
    }

    // kvm_vm_ioctl_check_extension_generic(KVM_CAP_DIRTY_LOG_RING) is 0 without HAVE_KVM_DIRTY_RING_TSO
    @Test
    void thePlainRingIsEinvalOnArm64() {
        new StepsSpec().step(m -> new Step.HostDecl(m, "host0", Arch.ARM64, HostFeatures.defaults(Arch.ARM64), false))
                .step(m -> new Step.CreateVm(m, "vm0", "host0", Arch.ARM64, null))
                .step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, 4096)).thenErrno(Errno.EINVAL);
    }

    // kvm_prepare_memory_region(): no bitmap when !kvm_use_dirty_bitmap(); GET and CLEAR are ENXIO
    // before the slot id is looked at
    @Test
    void withARingALoggingSlotHasNoBitmapAndGetAndClearAreEnxio() {
        StepsSpec s = X86Steps.vm(true).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, 4096))
                .step(slot(0, LOG, 0, 0x10000)).thenErrno(null);
        assertNull(((MemslotState) s.state(slotId(0))).dirtyBitmap());
        s.step(getDirtyLog(0)).thenErrno(Errno.ENXIO);
        s.step(getDirtyLog(0xffff_ffffL)).thenErrno(Errno.ENXIO);
        s.step(clearDirtyLog(0, 3, 64, null)).thenErrno(Errno.ENXIO);
    }

    // a bitmap allocated before the ring stays (old->dirty_bitmap is kept) but cannot be read; it is
    // freed when logging stops
    @Test
    void aBitmapFromBeforeTheRingIsKeptUnreadableAndFreedWhenLoggingStops() {
        StepsSpec s = X86Steps.vm(true).step(slot(0, LOG, 0, 0x10000)).step(ring(Cap.KVM_CAP_DIRTY_LOG_RING, 4096))
                .step(getDirtyLog(0)).thenErrno(Errno.ENXIO);
        assertNotNull(((MemslotState) s.state(slotId(0))).dirtyBitmap());
        s.step(slot(0, 0, 0, 0x10000)).thenErrno(null);
        assertNull(((MemslotState) s.state(slotId(0))).dirtyBitmap());
    }
}
