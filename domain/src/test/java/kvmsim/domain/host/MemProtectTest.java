package kvmsim.domain.host;

import static kvmsim.domain.abi.Errno.EINVAL;
import static kvmsim.domain.abi.Errno.ENOENT;
import static kvmsim.domain.abi.Errno.EPERM;
import static kvmsim.domain.abi.Errno.ERANGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import kvmsim.domain.host.HostEvent.PkvmOwnerSet;
import kvmsim.domain.host.HostEvent.PkvmTransitionCommitted;
import org.junit.jupiter.api.Test;

/** The errno paths of mem_protect.c that the selftest does not walk, and the host's aborts. */
class MemProtectTest {

    private static final long PFN = Hyp.PFN;
    private static final long MMIO_PFN = 0x9000; // below RAM: a device (QEMU virt's PL011)
    private static final long IPA_PFNS = 1L << (KvmPte.IA_BITS - 12);

    private final Hyp hyp = new Hyp();

    @Test
    void rangesOutsideTheIpaSpaceAreEinval() {
        // pfn_range_is_valid()
        assertEquals(EINVAL, hyp.call(Hvc.HOST_DONATE_HYP, IPA_PFNS, 1));
        assertEquals(EINVAL, hyp.call(Hvc.HOST_DONATE_HYP, IPA_PFNS - 1, 2));
        assertEquals(EINVAL, hyp.call(Hvc.HYP_DONATE_HOST, PFN, -1L));
        assertEquals(EINVAL, hyp.call(Hvc.HOST_SHARE_FFA, IPA_PFNS, 1));
        assertEquals(EINVAL, hyp.call(Hvc.HOST_UNSHARE_FFA, IPA_PFNS, 1));
        assertEquals(EINVAL, hyp.shareGuest(IPA_PFNS, "vm0", 0));
        assertTrue(hyp.events.isEmpty(), "a refused call persists nothing");
    }

    @Test
    void mmioIsEpermAndARangeStraddlingTheEndOfMemoryIsEinval() {
        // check_range_allowed_memory()
        assertEquals(EPERM, hyp.call(Hvc.HOST_SHARE_HYP, MMIO_PFN));
        assertEquals(EPERM, hyp.call(Hvc.HOST_DONATE_HYP, MMIO_PFN, 1));
        assertEquals(EPERM, hyp.shareGuest(MMIO_PFN, "vm0", 0));
        assertEquals(EINVAL, hyp.call(Hvc.HOST_DONATE_HYP, Hyp.RAM_END_PFN - 1, 2));
        assertEquals(EINVAL, hyp.call(Hvc.HOST_SHARE_FFA, (HostMemory.RAM_BASE >>> 12) - 1, 2));
        assertNull(hyp.call(Hvc.HOST_DONATE_HYP, Hyp.RAM_END_PFN - 2, 2), "the last pages of RAM are memory");
    }

    @Test
    void aMultiPageDonationChecksEveryPageFirstAndCommitsPageByPage() {
        assertNull(hyp.call(Hvc.HOST_SHARE_FFA, PFN + 3, 1));
        assertEquals(EPERM, hyp.call(Hvc.HOST_DONATE_HYP, PFN, 8));
        assertEquals(PageState.OWNED, hyp.state.hostState(PFN), "nothing of the refused range moved");
        assertNull(hyp.call(Hvc.HOST_UNSHARE_FFA, PFN + 3, 1));
        int before = hyp.events.size();
        assertNull(hyp.call(Hvc.HOST_DONATE_HYP, PFN, 8));
        assertEquals(new PkvmTransitionCommitted("__pkvm_host_donate_hyp", PFN, 8), hyp.events.get(before));
        assertEquals(new PkvmOwnerSet(PFN << 12, 8 << 12, 1, 1L << 56, 8), hyp.events.get(before + 2));
        for (long p = PFN; p < PFN + 8; p++) {
            assertEquals(List.of(PageState.NOPAGE, PageState.OWNED, 1L),
                    List.of(hyp.state.hostState(p), hyp.state.hypState(p), hyp.state.owner(p)));
            assertEquals(3, hyp.state.hostStage2().leaf(p << 12).level(), "page-granular (force_pte)");
        }
        assertEquals(PageState.OWNED, hyp.state.hostState(PFN + 8));
        assertNull(hyp.call(Hvc.HYP_DONATE_HOST, PFN + 2, 1));
        assertEquals(List.of(0L, 1L), List.of(hyp.state.owner(PFN + 2), hyp.state.owner(PFN + 3)),
                "giving one page back keeps the others' annotations");
        assertNull(hyp.refcountProblem());
    }

    @Test
    void theFfaProxyUnsharesOnlyWhatItShared() {
        assertNull(hyp.call(Hvc.HOST_SHARE_HYP, PFN));
        assertEquals(EPERM, hyp.call(Hvc.HOST_UNSHARE_FFA, PFN, 1), "shared with the hypervisor, not FF-A");
        assertNull(hyp.shareGuest(PFN + 1, "vm0", 0));
        assertEquals(EPERM, hyp.call(Hvc.HOST_UNSHARE_FFA, PFN + 1, 1), "shared with a guest, not FF-A");
        assertEquals(PageState.SHARED_BORROWED, hyp.state.hypState(PFN));
    }

    @Test
    void unpinningAnUnpinnedPageIsRefused() {
        // hyp_page_ref_dec() would BUG_ON(!p->refcount)
        assertEquals(EINVAL, hyp.call(Hvc.HYP_UNPIN_SHARED, PFN, 1));
        assertNull(hyp.call(Hvc.HOST_SHARE_HYP, PFN));
        assertNull(hyp.call(Hvc.HYP_PIN_SHARED, PFN, 1));
        assertEquals(EINVAL, hyp.call(Hvc.HYP_UNPIN_SHARED, PFN, 2), "the second page was never pinned");
        assertEquals(1, hyp.state.pinCount(PFN));
    }

    @Test
    void sharingWithGuestsCountsAndUnsharingAnUnmappedGfnIsEnoent() {
        assertNull(hyp.shareGuest(PFN, "vm0", 5));
        assertNull(hyp.shareGuest(PFN, "vm1", 5), "another guest's gfn 5 is another stage-2");
        assertEquals(EPERM, hyp.shareGuest(PFN + 1, "vm0", 5), "gfn 5 of vm0 is not NOPAGE");
        assertEquals(2, hyp.state.shareGuestCount(PFN));
        assertEquals(ENOENT, hyp.unshareGuest("vm0", 6));
        assertEquals(ENOENT, hyp.unshareGuest("vm2", 5));
        assertNull(hyp.unshareGuest("vm1", 5));
        assertEquals(PageState.SHARED_OWNED, hyp.state.hostState(PFN));
        assertNull(hyp.unshareGuest("vm0", 5));
        assertEquals(List.of(PageState.OWNED, 0), List.of(hyp.state.hostState(PFN), hyp.state.shareGuestCount(PFN)));
    }

    @Test
    void setOwnerUnder8BitsRefusesIdsAboveTheHypervisorAndTruncatesToU8() {
        assertEquals(EINVAL, hyp.setOwner(PFN << 12, 4096, 2));
        assertEquals(ERANGE, hyp.setOwner(KvmPte.IA_LIMIT, 4096, 1));
        assertTrue(hyp.events.isEmpty());
        assertNull(hyp.setOwner(PFN << 12, 4096, 257));
        assertEquals(1L << 56, hyp.state.hostStage2().leaf(PFN << 12).pte(), "u8 257 is 1, in bits 63:56");
    }

    @Test
    void setOwnerUnder32BitsTakesAnyU32InTheHighHalf() {
        Hyp rfc = new Hyp(OwnerEncoding.BITS_32);
        assertNull(rfc.setOwner(PFN << 12, 4096, 0xdeadbeefL));
        assertEquals(0xdeadbeefL << 32, rfc.state.hostStage2().leaf(PFN << 12).pte());
        assertEquals(0xdeadbeefL, rfc.state.owner(PFN));
        assertNull(rfc.setOwner((PFN + 1) << 12, 4096, 0x1_0000_0002L));
        assertEquals(2, rfc.state.owner(PFN + 1), "the u32 parameter drops bit 32");
    }

    @Test
    void hostAbortsMapMemoryRwxAndMmioRwAndDenyWhatTheHostDoesNotOwn() {
        assertTrue(hyp.abort(PFN, Access.EXEC));
        assertEquals(1, hyp.state.hostStage2().leaf(PFN << 12).level(), "a 1 GiB block of RAM");
        assertTrue(hyp.abort(MMIO_PFN, Access.WRITE));
        long mmio = hyp.state.hostStage2().leaf(MMIO_PFN << 12).pte();
        assertFalse(KvmPte.permits(mmio, Access.EXEC));
        assertEquals(KvmPte.MEMATTR_DEVICE, mmio & KvmPte.MEMATTR_MASK);
        int before = hyp.events.size();
        assertFalse(hyp.abort(MMIO_PFN, Access.EXEC), "no instruction fetch from a device");
        assertTrue(hyp.abort(PFN + 1, Access.READ), "mapped already: no fault, nothing persisted");
        assertEquals(before, hyp.events.size());
        assertNull(hyp.call(Hvc.HOST_DONATE_HYP, PFN, 1));
        assertFalse(hyp.abort(PFN, Access.READ));
        assertFalse(hyp.abort(IPA_PFNS, Access.READ), "beyond the PA range");
        assertTrue(hyp.abort(PFN + 1, Access.READ));
        assertEquals(3, hyp.state.hostStage2().leaf((PFN + 1) << 12).level(), "next to another owner: a page");
        assertNull(hyp.refcountProblem());
    }
}
