package kvmsim.domain.kernel.gmem;

import static kvmsim.domain.testing.X86Steps.GUEST_MEMFD;
import static kvmsim.domain.testing.X86Steps.HOST;
import static kvmsim.domain.testing.X86Steps.NO_DIRECT_MAP;
import static kvmsim.domain.testing.X86Steps.createGmem;
import static kvmsim.domain.testing.X86Steps.slot2;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.host.HostCommand.GmemGetPfn;
import kvmsim.domain.host.HostEvent.*;
import kvmsim.domain.host.HostState;
import kvmsim.domain.testing.DeciderSpec;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.testing.X86Steps;
import org.junit.jupiter.api.Test;

/**
 * guest_memfd rules GuestMemfdTest does not pin down yet: more of kvm_gmem_create()'s flags and
 * sizes, the kvm_gmem_bind() cases of FINDINGS.md (a range ending at i_size, the fields a slot
 * without KVM_MEM_GUEST_MEMFD never reads, which rule wins), and kvm_gmem_get_pfn() on the host.
 */
class GmemRulesTest {

    private static final long INIT_SHARED = 2; // GUEST_MEMFD_FLAG_INIT_SHARED
    private static final long PFN = HostState.FIRST_GMEM_PFN;

    /** A default VM (mainline offers INIT_SHARED to VMs without private memory) with guest_memfd g0 of 64 KiB. */
    private static StepsSpec withG0() {
        return X86Steps.vm(true).step(createGmem("g0", 0x10000, 0));
    }

    // ---- kvm_gmem_create() ----

    @Test
    void kvmGmemCreateRefusesASizeThatIsNegativeAsAnLoffT() {
        X86Steps.vm(true).step(createGmem("g", -0x1000L, 0)).thenErrno(Errno.EINVAL); // 2^64 - 4096
    }

    @Test
    void kvmGmemCreateTakesInitSharedWithoutMmapAndRefusesBitsNoHostOffers() {
        StepsSpec s = X86Steps.vm(true).step(createGmem("g", 0x1000, INIT_SHARED)).thenErrno(null);
        assertEquals(List.of(new GmemCreated("g", "vm0", 0x1000, INIT_SHARED)), s.eventsOfLastStep(HOST));
        X86Steps.vm(true).step(createGmem("g", 0x1000, 1L << 3)).thenErrno(Errno.EINVAL);
        StepsSpec bad = X86Steps.vm(true).step(createGmem("g", 0x1000, 1L << 63)).thenErrno(Errno.EINVAL);
        assertEquals(List.of(), bad.eventsOfLastStep(HOST));
    }

    // ---- kvm_set_memory_region() + kvm_gmem_bind() ----

    @Test
    void kvmGmemBindTakesARangeEndingExactlyAtISize() {
        withG0().step(slot2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0xc000)).thenErrno(null);
    }

    @Test
    void kvmMemGuestMemfdWithoutAGuestMemfdFieldIsEbadf() {
        withG0().step(slot2(0, GUEST_MEMFD, 0, 0x4000, null, 0)).thenErrno(Errno.EBADF);
    }

    // without the flag, guest_memfd and guest_memfd_offset are never read, and nothing is bound
    @Test
    void aSlotWithoutKvmMemGuestMemfdNeitherReadsNorBindsTheFile() {
        withG0().step(slot2(0, 0, 0, 0x4000, "g0", 0)).step(slot2(1, 0, 0x100000, 0x4000, "nosuch", 0x800))
                .step(slot2(2, GUEST_MEMFD, 0x200000, 0x4000, "g0", 0)).thenErrno(null);
    }

    // FINDINGS.md, the order of the checks: kvm_check_memslot_overlap() comes before kvm_gmem_bind()
    @Test
    void aGpaOverlapBeatsAnOverlappingBinding() {
        withG0().step(slot2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0))
                .step(slot2(1, GUEST_MEMFD, 0x2000, 0x4000, "g0", 0x2000)).thenErrno(Errno.EEXIST);
    }

    // kvm_gmem_unbind() on any delete, whatever its flags
    @Test
    void aDeleteWithoutTheFlagUnbindsSoAnotherSlotMayBindTheRange() {
        withG0().step(slot2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0)).step(slot2(0, 0, 0, 0, null, 0))
                .step(slot2(1, GUEST_MEMFD, 0x100000, 0x4000, "g0", 0)).thenErrno(null);
        withG0().step(slot2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0))
                .step(slot2(1, GUEST_MEMFD, 0x100000, 0x4000, "g0", 0)).thenErrno(Errno.EINVAL);
    }

    // ---- kvm_gmem_get_pfn() -> kvm_gmem_get_folio() on the host ----

    private static DeciderSpec host(long flags) {
        return DeciderSpec.given(HOST, new GmemCreated("g0", "vm0", 0x4000, flags));
    }

    @Test
    void kvmGmemGetPfnIsEfaultForAnUnknownFileOrAPageBeyondIt() {
        host(0).when(new GmemGetPfn("nosuch", 0)).thenErrno(Errno.EFAULT);
        host(0).when(new GmemGetPfn("g0", 4)).thenErrno(Errno.EFAULT);
        host(0).when(new GmemGetPfn("g0", -1)).thenErrno(Errno.EFAULT);
        host(0).when(new GmemGetPfn("g0", 3)).thenEvents(new GmemFolioAllocated("g0", 3, PFN), new FolioUnlocked(PFN));
    }

    @Test
    void aFolioIsAllocatedOnceAndWithNoDirectMapLeavesTheDirectMapBeforeItIsUnlocked() {
        HostState one = (HostState) host(NO_DIRECT_MAP).when(new GmemGetPfn("g0", 1)).thenEvents(
                new GmemFolioAllocated("g0", 1, PFN), new DirectMapZapped(PFN), new FolioPrivateChanged(PFN, true),
                new FolioUnlocked(PFN));
        DeciderSpec.givenState(one).when(new GmemGetPfn("g0", 1)).thenNothing();
        DeciderSpec.givenState(one).when(new GmemGetPfn("g0", 2)).thenEvents(new GmemFolioAllocated("g0", 2,
                PFN + 1), new DirectMapZapped(PFN + 1), new FolioPrivateChanged(PFN + 1, true),
                new FolioUnlocked(PFN + 1));
    }
}
