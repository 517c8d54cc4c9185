package kvmsim.domain.kernel.kvm;

import static kvmsim.domain.testing.X86Steps.run;
import static kvmsim.domain.testing.X86Steps.slot;
import static kvmsim.domain.testing.X86Steps.slotId;
import static kvmsim.domain.testing.X86Steps.userspaceWrite;
import static kvmsim.domain.testing.X86Steps.vcpu;
import static kvmsim.domain.testing.X86Steps.vcpuId;
import static kvmsim.domain.testing.X86Steps.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.testing.X86Steps;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.GuestVia;
import kvmsim.domain.vcpu.VcpuEvent.GuestAccessed;
import kvmsim.domain.vcpu.VcpuState;
import org.junit.jupiter.api.Test;

/**
 * Guest accesses through the x86 instruction emulator (emulator_read_write_onepage() ->
 * kvm_vcpu_read_guest() / kvm_vcpu_write_guest()): no SPTE, no TLB, a write logged, a read never,
 * MMIO where the copy fails. Kernel facts: tools/kvm-probe FINDINGS.md, case guest_real_mode.
 */
class InstructionEmulatorRulesTest {

    private static final long SLOT_SIZE = 0x10000;
    private static final long LOG = 1;
    private static final long READONLY = 2;

    private static Function<StepMeta, Step> emulated(GuestAccessKind kind, long gpa) {
        return m -> new Step.GuestAccess(m, "vm0", 0, kind, gpa, GuestVia.EMULATOR);
    }

    private static StepsSpec running(long flags) {
        return X86Steps.vm(true).step(slot(0, flags, 0, SLOT_SIZE)).step(vcpu(0)).step(run(0));
    }

    private static MemslotState slot0(StepsSpec s) {
        return (MemslotState) s.state(slotId(0));
    }

    private static VcpuState vcpu0(StepsSpec s) {
        return (VcpuState) s.state(vcpuId(0));
    }

    @Test
    void anEmulatedWriteIsLoggedButMakesNoSpteAndFillsNoTlbEntry() {
        StepsSpec s = running(LOG).step(emulated(GuestAccessKind.WRITE, 0x3000));
        assertEquals(GuestExit.NONE, s.run().exit());
        assertEquals(List.of(3L), slot0(s).dirtyBitmap().pages(), "mark_page_dirty_in_slot()");
        assertNull(slot0(s).spte(3));
        assertNull(vcpu0(s).tlbEntry(3));
    }

    // the contradiction of kvm-semantics.md §7 FINDINGS.md records does not reach the emulator:
    // a read of a page the VMM wrote is logged on a read fault, never through the emulator
    @Test
    void anEmulatedReadIsNeverLoggedEvenOfAPageTheVmmWrote() {
        StepsSpec s = running(LOG).step(userspaceWrite(0x2000, 0x1000)).step(emulated(GuestAccessKind.READ, 0x2000));
        assertEquals(GuestExit.NONE, s.run().exit());
        assertEquals(List.of(), slot0(s).dirtyBitmap().pages());
        assertNull(slot0(s).spte(2));
    }

    @Test
    void anEmulatedAccessOutsideEveryMemslotIsMmio() {
        assertEquals(GuestExit.KVM_EXIT_MMIO, running(0).step(emulated(GuestAccessKind.READ, 0x90000000L)).run().exit());
    }

    @Test
    void anEmulatedWriteToAReadonlySlotIsMmioAndLogsNothing() {
        StepsSpec s = running(READONLY | LOG).step(emulated(GuestAccessKind.WRITE, 0x3000));
        assertEquals(GuestExit.KVM_EXIT_MMIO, s.run().exit());
        assertEquals(List.of(), slot0(s).dirtyBitmap().pages());
        assertEquals(GuestExit.NONE, running(READONLY).step(emulated(GuestAccessKind.READ, 0x3000)).run().exit());
    }

    // the emulator filled nothing: the guest's own write afterwards misses the TLB and faults
    @Test
    void aWriteOnTheCpuAfterAnEmulatedOneStillFaults() {
        StepsSpec s = running(0).step(emulated(GuestAccessKind.WRITE, 0x3000)).step(write(0, 0x3000)).thenErrno(null);
        GuestAccessed a = (GuestAccessed) s.eventsOfLastStep(vcpuId(0)).stream().filter(GuestAccessed.class::isInstance)
                .findFirst().orElseThrow();
        assertEquals(Boolean.FALSE, a.tlbHit());
        assertTrue(a.faulted());
        assertTrue(slot0(s).spte(3).writable());
    }
}
