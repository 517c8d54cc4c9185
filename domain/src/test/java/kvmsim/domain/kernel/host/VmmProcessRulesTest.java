package kvmsim.domain.kernel.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostEvent.UserspaceWrote;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.trace.Step;
import org.junit.jupiter.api.Test;

/**
 * USERSPACE_WRITE on an arm64 VM: the VMM's own store into guest memory goes gpa -> memslot -> hva
 * (__gfn_to_hva_memslot()), then through the VMM's page tables.
 */
class VmmProcessRulesTest {

    private static final long HVA = 0x7f0000000000L;
    private static final long GPA = 0x80000000L;
    private static final long PAGE = Pages.PAGE_SIZE;
    private static final EntityId HOST = EntityId.host("host0");

    /** An arm64 VM with slot 0: 2 pages at GPA, backed at HVA. */
    private static StepsSpec vmWithSlot() {
        return new StepsSpec()
                .step(m -> new Step.HostDecl(m, "host0", Arch.ARM64, HostFeatures.defaults(Arch.ARM64), false))
                .step(m -> new Step.CreateVm(m, "vm0", "host0", Arch.ARM64, null))
                .step(m -> new Step.SetUserMemoryRegion(m, "vm0", 0, 0, GPA, 2 * PAGE, HVA));
    }

    private static StepsSpec write(long gpa, long length) {
        return vmWithSlot().step(m -> new Step.UserspaceWrite(m, "vm0", gpa, length));
    }

    @Test
    void userspaceWrite_goesToTheHvaTheMemslotMapsTheGpaTo() {
        StepsSpec spec = write(GPA + PAGE + 0x10, 8).thenErrno(null);
        assertEquals(List.of(new UserspaceWrote(HVA + PAGE + 0x10, 8, List.of())), spec.eventsOfLastStep(HOST));
    }

    @Test
    void userspaceWrite_outsideEveryMemslotIsEfault() {
        assertEquals(List.of(), write(GPA - PAGE, 8).thenErrno(Errno.EFAULT).eventsOfLastStep(HOST));
    }

    @Test
    void userspaceWrite_runningPastTheEndOfItsMemslotIsEfault() {
        write(GPA + PAGE, PAGE + 1).thenErrno(Errno.EFAULT);
    }

    @Test
    void userspaceWrite_ofNothingSucceedsAndWritesNothing() {
        assertEquals(List.of(), write(GPA - PAGE, 0).thenErrno(null).eventsOfLastStep(HOST));
    }

    @Test
    void userspaceWrite_onAVmNeverCreatedIsEbadf() {
        new StepsSpec().step(m -> new Step.UserspaceWrite(m, "vm9", GPA, 8)).thenErrno(Errno.EBADF);
    }
}
