package kvmsim.domain.host;

import static kvmsim.domain.abi.Errno.EBUSY;
import static kvmsim.domain.abi.Errno.ENOENT;
import static kvmsim.domain.abi.Errno.EPERM;
import static kvmsim.domain.host.Hvc.HOST_DONATE_HYP;
import static kvmsim.domain.host.Hvc.HOST_SHARE_FFA;
import static kvmsim.domain.host.Hvc.HOST_SHARE_HYP;
import static kvmsim.domain.host.Hvc.HOST_UNSHARE_FFA;
import static kvmsim.domain.host.Hvc.HOST_UNSHARE_HYP;
import static kvmsim.domain.host.Hvc.HYP_DONATE_HOST;
import static kvmsim.domain.host.Hvc.HYP_PIN_SHARED;
import static kvmsim.domain.host.Hvc.HYP_UNPIN_SHARED;
import static kvmsim.domain.host.PageState.NOPAGE;
import static kvmsim.domain.host.PageState.OWNED;
import static kvmsim.domain.host.PageState.SHARED_BORROWED;
import static kvmsim.domain.host.PageState.SHARED_OWNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.function.Supplier;
import kvmsim.domain.abi.Errno;
import org.junit.jupiter.api.Test;

/**
 * Golden test: pkvm_ownership_selftest() of arch/arm64/kvm/hyp/nvhe/mem_protect.c (6.16-6.18),
 * line for line. Every transition is asserted with its exact result, and after each one the
 * host's, the hypervisor's and the guest's states (at gfn and gfn + 1) are those the selftest's
 * assert_page_state() expects.
 */
class PkvmOwnershipSelftestTest {

    private static final long PFN = Hyp.PFN;
    private static final long GFN = 1L << (KvmPte.IA_BITS - 1 - 12); // hyp_phys_to_pfn(selftest_ipa())
    private static final String VM = "selftest_vm";

    private final Hyp hyp = new Hyp();
    private PageState host;
    private PageState hypState;
    private final PageState[] guest = {NOPAGE, NOPAGE};
    private int transitions;

    private void assertPageState() {
        assertEquals(List.of(host, hypState, guest[0], guest[1]),
                List.of(hyp.state.hostState(PFN), hyp.state.hypState(PFN), guestState(GFN), guestState(GFN + 1)),
                "host, hyp, guest[0], guest[1] after transition " + transitions);
        assertNull(hyp.refcountProblem());
    }

    private PageState guestState(long gfn) {
        Long pfn = hyp.state.guestPfn(VM, gfn);
        return pfn == null ? NOPAGE : SHARED_BORROWED;
    }

    // assert_transition_res(res, fn, ...)
    private void res(Errno expected, Supplier<Errno> fn) {
        transitions++;
        assertEquals(expected, fn.get(), "transition " + transitions);
        assertPageState();
    }

    @Test
    void walksOnePageThroughEveryTransition() {
        // the selftest's page comes from host_s2_pool: the hypervisor's, the host has none of it
        assertNull(hyp.call(HOST_DONATE_HYP, PFN));
        host = NOPAGE;
        hypState = OWNED;
        assertPageState();
        res(EPERM, () -> hyp.call(HOST_DONATE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_UNSHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_FFA, PFN));
        res(EPERM, () -> hyp.call(HOST_UNSHARE_FFA, PFN));
        res(EPERM, () -> hyp.call(HYP_PIN_SHARED, PFN));
        res(EPERM, () -> hyp.shareGuest(PFN, VM, GFN));
        res(ENOENT, () -> hyp.unshareGuest(VM, GFN));

        host = OWNED;
        hypState = NOPAGE;
        res(null, () -> hyp.call(HYP_DONATE_HOST, PFN));
        res(EPERM, () -> hyp.call(HYP_DONATE_HOST, PFN));
        res(EPERM, () -> hyp.call(HOST_UNSHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_UNSHARE_FFA, PFN));
        res(ENOENT, () -> hyp.unshareGuest(VM, GFN));
        res(EPERM, () -> hyp.call(HYP_PIN_SHARED, PFN));

        host = SHARED_OWNED;
        hypState = SHARED_BORROWED;
        res(null, () -> hyp.call(HOST_SHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_DONATE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_FFA, PFN));
        res(EPERM, () -> hyp.call(HYP_DONATE_HOST, PFN));
        res(EPERM, () -> hyp.shareGuest(PFN, VM, GFN));
        res(ENOENT, () -> hyp.unshareGuest(VM, GFN));

        res(null, () -> hyp.call(HYP_PIN_SHARED, PFN));
        res(null, () -> hyp.call(HYP_PIN_SHARED, PFN));
        assertNull(hyp.call(HYP_UNPIN_SHARED, PFN));
        assertEquals(1, hyp.state.pinCount(PFN)); // WARN_ON(hyp_page_count(virt) != 1)
        res(EBUSY, () -> hyp.call(HOST_UNSHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_DONATE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_FFA, PFN));
        res(EPERM, () -> hyp.call(HYP_DONATE_HOST, PFN));
        res(EPERM, () -> hyp.shareGuest(PFN, VM, GFN));
        res(ENOENT, () -> hyp.unshareGuest(VM, GFN));

        assertNull(hyp.call(HYP_UNPIN_SHARED, PFN));
        assertPageState();
        assertEquals(0, hyp.state.pinCount(PFN)); // WARN_ON(hyp_page_count(virt))

        host = OWNED;
        hypState = NOPAGE;
        res(null, () -> hyp.call(HOST_UNSHARE_HYP, PFN));

        host = SHARED_OWNED;
        hypState = NOPAGE;
        res(null, () -> hyp.call(HOST_SHARE_FFA, PFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_FFA, PFN));
        res(EPERM, () -> hyp.call(HOST_DONATE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_UNSHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HYP_DONATE_HOST, PFN));
        res(EPERM, () -> hyp.shareGuest(PFN, VM, GFN));
        res(ENOENT, () -> hyp.unshareGuest(VM, GFN));
        res(EPERM, () -> hyp.call(HYP_PIN_SHARED, PFN));

        host = OWNED;
        hypState = NOPAGE;
        res(null, () -> hyp.call(HOST_UNSHARE_FFA, PFN));
        res(EPERM, () -> hyp.call(HOST_UNSHARE_FFA, PFN));

        host = SHARED_OWNED;
        guest[0] = SHARED_BORROWED;
        res(null, () -> hyp.shareGuest(PFN, VM, GFN));
        res(EPERM, () -> hyp.shareGuest(PFN, VM, GFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_FFA, PFN));
        res(EPERM, () -> hyp.call(HOST_DONATE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_SHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HOST_UNSHARE_HYP, PFN));
        res(EPERM, () -> hyp.call(HYP_DONATE_HOST, PFN));
        res(EPERM, () -> hyp.call(HYP_PIN_SHARED, PFN));

        guest[1] = SHARED_BORROWED;
        res(null, () -> hyp.shareGuest(PFN, VM, GFN + 1));
        assertEquals(2, hyp.state.shareGuestCount(PFN)); // host_share_guest_count != 2

        guest[0] = NOPAGE;
        res(null, () -> hyp.unshareGuest(VM, GFN));

        guest[1] = NOPAGE;
        host = OWNED;
        res(null, () -> hyp.unshareGuest(VM, GFN + 1));

        host = NOPAGE;
        hypState = OWNED;
        res(null, () -> hyp.call(HOST_DONATE_HYP, PFN));
        assertEquals(54, transitions); // the selftest's assert_transition_res() lines
    }
}
