package kvmsim.domain.kernel.host;

import static kvmsim.domain.testing.X86Steps.HVA;
import static kvmsim.domain.testing.X86Steps.HOST;
import static kvmsim.domain.testing.X86Steps.run;
import static kvmsim.domain.testing.X86Steps.slot;
import static kvmsim.domain.testing.X86Steps.slotId;
import static kvmsim.domain.testing.X86Steps.vcpu;
import static kvmsim.domain.testing.X86Steps.vcpuId;
import static kvmsim.domain.testing.X86Steps.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.host.HostState;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.testing.X86Steps;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuState;
import org.junit.jupiter.api.Test;

/**
 * munmap() of VMM memory that backs a memslot: kvm_create_vm() registered the VM's MMU notifier with the VMM's mm
 * (mmu_notifier_register()), so __vm_munmap() runs kvm_mmu_notifier_invalidate_range_start() for the range: the SPTEs
 * go, the vCPUs' TLBs are flushed, and the next access faults on memory with no VMA.
 */
class MunmapNotifierRulesTest {

    private static final long SLOT_BYTES = 0x10000;

    // vm0 with slot 0 over an MMAPed range, vCPU 0 in the guest, page 5 written (a writable SPTE and TLB entry)
    private static StepsSpec written() {
        return X86Steps.vm(true)
                .step(m -> new Step.Mmap(m, "host0", HVA, SLOT_BYTES, false, false,
                        kvmsim.domain.abi.PageLevel.PG_LEVEL_4K))
                .step(slot(0, 0, 0, SLOT_BYTES)).step(vcpu(0)).step(run(0)).step(write(0, 0x5000));
    }

    private static StepsSpec unmap(StepsSpec spec, long gpa, long length) {
        return spec.step(m -> new Step.Munmap(m, "host0", HVA + gpa, length));
    }

    @Test
    void kvmCreateVmRegistersTheVmsNotifierWithTheVmmsMm() {
        StepsSpec spec = written();
        spec.run();
        assertEquals(List.of("vm0"), ((HostState) spec.state(HOST)).mmuNotifiers());
    }

    @Test
    void munmapOfAMappedPageZapsItsSpteAndFlushesTheVcpusTlb() {
        StepsSpec spec = unmap(written(), 0x5000, 0x1000).thenErrno(null);
        assertNull(((MemslotState) spec.state(slotId(0))).sptes().get(5L), "the SPTE of the unmapped page is gone");
        assertNull(((VcpuState) spec.state(vcpuId(0))).tlbEntry(5L), "the vCPU's translation was flushed");
        assertTrue(X86Steps.flushedAtLastStep(spec), "kvm_flush_remote_tlbs() after the zap");
    }

    @Test
    void theGuestsNextAccessToUnmappedMemoryFaultsWithEfault() {
        StepsSpec spec = unmap(written(), 0x5000, 0x1000).step(write(0, 0x5000));
        StepResult r = spec.run();
        assertEquals(Errno.EFAULT, r.errno());
        assertEquals(GuestExit.KVM_EXIT_MEMORY_FAULT, r.exit());
    }

    @Test
    void munmapOfMemoryNoSlotMapsLeavesTheVmAlone() {
        StepsSpec spec = written().step(m -> new Step.Mmap(m, "host0", HVA + 0x100000, 0x1000, false, false,
                kvmsim.domain.abi.PageLevel.PG_LEVEL_4K));
        spec = unmap(spec, 0x100000, 0x1000).thenErrno(null);
        assertNotNull(((MemslotState) spec.state(slotId(0))).sptes().get(5L));
        assertFalse(X86Steps.flushedAtLastStep(spec), "nothing zapped, nothing flushed");
    }

    @Test
    void aRefusedMunmapInvalidatesNothing() {
        StepsSpec spec = written().step(m -> new Step.Munmap(m, "host0", HVA + 0x5001, 0x1000)).thenErrno(Errno.EINVAL);
        assertNotNull(((MemslotState) spec.state(slotId(0))).sptes().get(5L));
        assertNotNull(((VcpuState) spec.state(vcpuId(0))).tlbEntry(5L));
    }

    @Test
    void aVmWhoseCreationFailedRegistersNothing() {
        StepsSpec spec = X86Steps.vm(true).step(m -> new Step.CreateVm(m, "vm1", "host0",
                kvmsim.domain.abi.Arch.X86_64, "KVM_X86_NO_SUCH_VM"));
        spec.thenErrno(Errno.EINVAL);
        assertEquals(List.of("vm0"), ((HostState) spec.state(HOST)).mmuNotifiers());
    }
}
