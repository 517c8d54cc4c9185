package kvmsim.domain.vm;

import static kvmsim.domain.testing.X86Steps.VM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.testing.DeciderSpec;
import kvmsim.domain.vm.VmCommand.EnableDirtyLogRing;
import kvmsim.domain.vm.VmEvent.*;
import org.junit.jupiter.api.Test;

/**
 * kvm_vm_ioctl_enable_dirty_log_ring() as the VM decides it (virt/kvm/kvm_main.c): the size rules
 * and their order, only once, and before any vCPU. x86 without PML: the smallest ring is 4096
 * bytes (a page; 64 reserved entries are only 1024), the largest 65536 entries of 16 bytes.
 */
class DirtyRingEnableRulesTest {

    private static final VmCreated X86 = new VmCreated(Arch.X86_64, "KVM_X86_DEFAULT_VM", "host0", false, false,
            true, true, 1024, 4096);

    private static DeciderSpec vm(VmEvent... more) {
        List<VmEvent> events = new ArrayList<>();
        events.add(X86);
        events.addAll(List.of(more));
        return DeciderSpec.given(VM, events.toArray(VmEvent[]::new));
    }

    @Test
    void aPowerOfTwoFromAPageTo1MiBIsTakenAndTheVmThenHasNoBitmap() {
        VmState s = (VmState) vm().when(new EnableDirtyLogRing(4096, false))
                .thenEvents(new DirtyRingEnabled(4096, false));
        assertEquals(4096, s.dirtyRingSize());
        assertFalse(s.useDirtyBitmap(), "kvm_use_dirty_bitmap()");
        vm().when(new EnableDirtyLogRing(1 << 20, false)).thenEvents(new DirtyRingEnabled(1 << 20, false));
        assertTrue(((VmState) vm().state()).useDirtyBitmap());
    }

    @Test
    void zeroOrNotAPowerOfTwoIsEinval() {
        vm().when(new EnableDirtyLogRing(0, false)).thenErrno(Errno.EINVAL);
        vm().when(new EnableDirtyLogRing(4096 + 16, false)).thenErrno(Errno.EINVAL);
        vm().when(new EnableDirtyLogRing(3 * 4096, false)).thenErrno(Errno.EINVAL);
    }

    // size < rsvd * sizeof(kvm_dirty_gfn) || size < PAGE_SIZE: 1024 and 2048 hold the 64 reserved entries
    @Test
    void lessThanAPageIsEinvalEvenWhenItHoldsTheReservedEntries() {
        vm().when(new EnableDirtyLogRing(1024, false)).thenErrno(Errno.EINVAL);
        vm().when(new EnableDirtyLogRing(2048, false)).thenErrno(Errno.EINVAL);
        vm().when(new EnableDirtyLogRing(16, false)).thenErrno(Errno.EINVAL);
    }

    @Test
    void moreThanKvmDirtyRingMaxEntriesIsE2bigButNotAPowerOfTwoIsEinvalFirst() {
        vm().when(new EnableDirtyLogRing(1 << 21, false)).thenErrno(Errno.E2BIG);
        vm().when(new EnableDirtyLogRing(1L << 31, false)).thenErrno(Errno.E2BIG);
        vm().when(new EnableDirtyLogRing((1 << 21) + 4096, false)).thenErrno(Errno.EINVAL);
    }

    // if (kvm->dirty_ring_size) return -EINVAL: the same size again too, checked after the size rules
    @Test
    void aSecondEnableIsEinvalWhateverItsSizeButSizeErrorsComeFirst() {
        vm(new DirtyRingEnabled(4096, false)).when(new EnableDirtyLogRing(4096, false)).thenErrno(Errno.EINVAL);
        vm(new DirtyRingEnabled(4096, false)).when(new EnableDirtyLogRing(8192, false)).thenErrno(Errno.EINVAL);
        vm(new DirtyRingEnabled(4096, false)).when(new EnableDirtyLogRing(1 << 21, false)).thenErrno(Errno.E2BIG);
    }

    // mutex_lock(&kvm->lock); if (kvm->created_vcpus) r = -EINVAL: checked last
    @Test
    void afterAVcpuIsCreatedItIsEinvalButSizeErrorsComeFirst() {
        vm(new VcpuAdded(0)).when(new EnableDirtyLogRing(4096, false)).thenErrno(Errno.EINVAL);
        vm(new VcpuAdded(0)).when(new EnableDirtyLogRing(1 << 21, false)).thenErrno(Errno.E2BIG);
    }
}
