package kvmsim.domain.host;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.Event;
import kvmsim.domain.host.HostCommand.HostMemAbort;
import kvmsim.domain.host.HostCommand.PkvmCall;
import kvmsim.domain.host.HostCommand.PkvmCommand;
import kvmsim.domain.host.HostCommand.SetOwner;
import kvmsim.domain.host.HostCommand.ShareGuest;
import kvmsim.domain.host.HostCommand.UnshareGuest;
import kvmsim.domain.host.HostEvent.GuestPageShared;
import kvmsim.domain.host.HostEvent.GuestPageUnshared;
import kvmsim.domain.host.HostEvent.HostFfaShareChanged;
import kvmsim.domain.host.HostEvent.HypPageRefcountChanged;
import kvmsim.domain.host.HostEvent.HypPageStateSet;
import kvmsim.domain.host.HostEvent.PkvmOwnerSet;
import kvmsim.domain.host.HostEvent.PkvmTransitionCommitted;

/**
 * arch/arm64/kvm/hyp/nvhe/mem_protect.c: the host's stage-2 aborts and the page transitions
 * between host, hypervisor and guests. Each transition checks everything first and then commits;
 * the commit cannot fail once the checks passed (the kernel WARNs), so a failing commit here is a
 * bug of the model and throws.
 *
 * <p>Versions: the host stage-2 and set_owner are 5.13's (seed 002); the host's page state lives in
 * its PTEs' software bits as in 5.15-6.12; the transitions and their order of checks are those of
 * 6.16-6.18 with Donnefort's pfn_range_is_valid() (2025), which pkvm_ownership_selftest() asserts.
 */
public final class MemProtect {

    /** PKVM_HOST_MEM_PROT: what the host gets on its own memory. */
    static final long HOST_MEM_ATTR = KvmPte.attr(Prot.RWX, false);
    static final long U32_MAX = 0xffff_ffffL;

    private final PkvmState s;
    private final HostMemory mem;
    private final OwnerEncoding enc;
    private final List<Event> events = new ArrayList<>();
    private final Stage2Walker host;

    private MemProtect(PkvmState s, HostMemory mem) {
        this.s = s;
        this.mem = mem;
        this.enc = s.encoding();
        this.host = new Stage2Walker(s.hostStage2());
    }

    public static Decision decide(PkvmState s, HostMemory mem, PkvmCommand c) {
        return new MemProtect(s, mem).run(c);
    }

    private Decision run(PkvmCommand c) {
        Errno e = switch (c) {
            case HostMemAbort a -> handleHostMemAbort(a.pfn(), a.access());
            case SetOwner o -> kvmPgtableStage2SetOwner(o.addr(), o.size(), o.ownerId());
            case ShareGuest g -> pkvmHostShareGuest(g.pfn(), g.vm(), g.gfn());
            case UnshareGuest u -> pkvmHostUnshareGuest(u.vm(), u.gfn());
            case PkvmCall call -> transition(call.hvc(), call.pfn(), call.nrPages());
        };
        return e == null ? Decision.accept(events) : Decision.reject(e);
    }

    private Errno transition(Hvc hvc, long pfn, long nr) {
        return switch (hvc) {
            case HOST_SHARE_HYP -> pkvmHostShareHyp(pfn);
            case HOST_UNSHARE_HYP -> pkvmHostUnshareHyp(pfn);
            case HOST_DONATE_HYP -> pkvmHostDonateHyp(pfn, nr);
            case HYP_DONATE_HOST -> pkvmHypDonateHost(pfn, nr);
            case HYP_PIN_SHARED -> hypPinSharedMem(pfn, nr);
            case HYP_UNPIN_SHARED -> hypUnpinSharedMem(pfn, nr);
            case HOST_SHARE_FFA -> pkvmHostShareFfa(pfn, nr);
            case HOST_UNSHARE_FFA -> pkvmHostUnshareFfa(pfn, nr);
        };
    }

    // ---- checks ----

    // pfn_range_is_valid(): inside the host's IPA space, without wrapping
    private static boolean pfnRangeIsValid(long pfn, long nr) {
        long limit = Pages.pagesIn(KvmPte.IA_BITS);
        return Long.compareUnsigned(pfn, limit) < 0 && Long.compareUnsigned(limit - pfn, nr) >= 0;
    }

    // check_range_allowed_memory(): one kvm_mem_range, and memory (MMIO is -EPERM)
    private Errno checkRangeAllowedMemory(long start, long end) {
        HostMemory.Range r = mem.find(start);
        if (!r.contains(end - 1)) {
            return Errno.EINVAL;
        }
        return r.memory() ? null : Errno.EPERM;
    }

    // __host_check_page_state_range()
    private Errno hostCheck(long pfn, long nr, PageState want) {
        Errno e = checkRangeAllowedMemory(Pages.addressOf(pfn), Pages.addressOf(pfn + nr));
        if (e != null) {
            return e;
        }
        for (long p = pfn; p < pfn + nr; p++) {
            if (s.hostState(p) != want) {
                return Errno.EPERM;
            }
        }
        return null;
    }

    // __hyp_check_page_state_range()
    private Errno hypCheck(long pfn, long nr, PageState want) {
        for (long p = pfn; p < pfn + nr; p++) {
            if (s.hypState(p) != want) {
                return Errno.EPERM;
            }
        }
        return null;
    }

    // ---- commits ----

    private void committed(String call, long pfn, long nr) {
        events.add(new PkvmTransitionCommitted(call, pfn, nr));
    }

    private static void warnOn(Errno e, String what) {
        if (e != null && e != Errno.EAGAIN) {
            throw new IllegalStateException("WARN_ON: " + what + " failed with " + e + " after its checks passed");
        }
    }

    // __host_set_page_state_range(): the state goes into the host's identity mapping of the pages
    // (host_stage2_idmap_locked() with pkvm_mkstate(PKVM_HOST_MEM_PROT, state)); anything but the
    // default mapping is page-granular (host_stage2_force_pte_cb())
    private void hostSetState(long pfn, long nr, PageState state) {
        Errno e = host.map(Pages.addressOf(pfn), Pages.addressOf(nr), KvmPte.withState(HOST_MEM_ATTR, state), state != PageState.OWNED);
        drain();
        warnOn(e, "host_stage2_idmap_locked");
    }

    /** Takes the host stage-2 events of the walk just done, in order, after those already taken. */
    private void drain() {
        List<kvmsim.domain.host.HostEvent.PkvmEvent> walked = host.events();
        events.addAll(walked.subList(walkedTaken, walked.size()));
        walkedTaken = walked.size();
    }

    private int walkedTaken;

    // host_stage2_set_owner_locked(): 5.15's set_owner with force_pte, one annotation per page
    private void hostSetOwner(long pfn, long nr, long ownerId) {
        long annotation = enc.annotation(ownerId);
        events.add(new PkvmOwnerSet(Pages.addressOf(pfn), Pages.addressOf(nr), ownerId, annotation, enc.bits));
        Errno e = host.setOwner(Pages.addressOf(pfn), Pages.addressOf(nr), annotation, true);
        drain();
        warnOn(e, "host_stage2_set_owner_locked");
    }

    private void hypSetState(long pfn, long nr, PageState state) {
        events.add(new HypPageStateSet(pfn, nr, state));
    }

    // ---- the transitions ----

    // __pkvm_host_share_hyp()
    private Errno pkvmHostShareHyp(long pfn) {
        Errno e = hostCheck(pfn, 1, PageState.OWNED);
        if (e == null) {
            e = hypCheck(pfn, 1, PageState.NOPAGE);
        }
        if (e != null) {
            return e;
        }
        committed(Hvc.HOST_SHARE_HYP.function, pfn, 1);
        hypSetState(pfn, 1, PageState.SHARED_BORROWED);
        hostSetState(pfn, 1, PageState.SHARED_OWNED);
        return null;
    }

    // __pkvm_host_unshare_hyp(): refused while the hypervisor holds a pin (-EBUSY)
    private Errno pkvmHostUnshareHyp(long pfn) {
        Errno e = hostCheck(pfn, 1, PageState.SHARED_OWNED);
        if (e == null) {
            e = hypCheck(pfn, 1, PageState.SHARED_BORROWED);
        }
        if (e == null && s.pinCount(pfn) != 0) {
            e = Errno.EBUSY;
        }
        if (e != null) {
            return e;
        }
        committed(Hvc.HOST_UNSHARE_HYP.function, pfn, 1);
        hypSetState(pfn, 1, PageState.NOPAGE);
        hostSetState(pfn, 1, PageState.OWNED);
        return null;
    }

    // __pkvm_host_donate_hyp()
    private Errno pkvmHostDonateHyp(long pfn, long nr) {
        if (!pfnRangeIsValid(pfn, nr)) {
            return Errno.EINVAL;
        }
        Errno e = hostCheck(pfn, nr, PageState.OWNED);
        if (e == null) {
            e = hypCheck(pfn, nr, PageState.NOPAGE);
        }
        if (e != null) {
            return e;
        }
        committed(Hvc.HOST_DONATE_HYP.function, pfn, nr);
        hypSetState(pfn, nr, PageState.OWNED);
        hostSetOwner(pfn, nr, PkvmState.ID_HYP);
        return null;
    }

    // __pkvm_hyp_donate_host(): the hypervisor's side is checked first
    private Errno pkvmHypDonateHost(long pfn, long nr) {
        if (!pfnRangeIsValid(pfn, nr)) {
            return Errno.EINVAL;
        }
        Errno e = hypCheck(pfn, nr, PageState.OWNED);
        if (e == null) {
            e = hostCheck(pfn, nr, PageState.NOPAGE);
        }
        if (e != null) {
            return e;
        }
        committed(Hvc.HYP_DONATE_HOST.function, pfn, nr);
        hypSetState(pfn, nr, PageState.NOPAGE);
        hostSetOwner(pfn, nr, PkvmState.ID_HOST);
        return null;
    }

    // hyp_pin_shared_mem()
    private Errno hypPinSharedMem(long pfn, long nr) {
        Errno e = hostCheck(pfn, nr, PageState.SHARED_OWNED);
        if (e == null) {
            e = hypCheck(pfn, nr, PageState.SHARED_BORROWED);
        }
        if (e != null) {
            return e;
        }
        committed(Hvc.HYP_PIN_SHARED.function, pfn, nr);
        for (long p = pfn; p < pfn + nr; p++) {
            events.add(new HypPageRefcountChanged(p, s.pinCount(p) + 1));
        }
        return null;
    }

    // hyp_unpin_shared_mem(): no checks in the kernel; hyp_page_ref_dec() BUGs on a zero count,
    // which kvmsim refuses with EINVAL before changing anything
    private Errno hypUnpinSharedMem(long pfn, long nr) {
        for (long p = pfn; p < pfn + nr; p++) {
            if (s.pinCount(p) == 0) {
                return Errno.EINVAL;
            }
        }
        committed(Hvc.HYP_UNPIN_SHARED.function, pfn, nr);
        for (long p = pfn; p < pfn + nr; p++) {
            events.add(new HypPageRefcountChanged(p, s.pinCount(p) - 1));
        }
        return null;
    }

    // __pkvm_host_share_ffa(): the completer is the secure world, which the hypervisor does not track
    private Errno pkvmHostShareFfa(long pfn, long nr) {
        if (!pfnRangeIsValid(pfn, nr)) {
            return Errno.EINVAL;
        }
        Errno e = hostCheck(pfn, nr, PageState.OWNED);
        if (e != null) {
            return e;
        }
        committed(Hvc.HOST_SHARE_FFA.function, pfn, nr);
        events.add(new HostFfaShareChanged(pfn, nr, true));
        hostSetState(pfn, nr, PageState.SHARED_OWNED);
        return null;
    }

    // __pkvm_host_unshare_ffa(): it checks the host's side only, because its one caller, the FF-A
    // proxy (ffa.c), unshares only ranges it shared; kvmsim keeps that record and refuses (-EPERM)
    // a page shared with the hypervisor or a guest instead
    private Errno pkvmHostUnshareFfa(long pfn, long nr) {
        if (!pfnRangeIsValid(pfn, nr)) {
            return Errno.EINVAL;
        }
        Errno e = hostCheck(pfn, nr, PageState.SHARED_OWNED);
        if (e != null) {
            return e;
        }
        for (long p = pfn; p < pfn + nr; p++) {
            if (!s.ffa().contains(p)) {
                return Errno.EPERM;
            }
        }
        committed(Hvc.HOST_UNSHARE_FFA.function, pfn, nr);
        events.add(new HostFfaShareChanged(pfn, nr, false));
        hostSetState(pfn, nr, PageState.OWNED);
        return null;
    }

    // __pkvm_host_share_guest(pfn, gfn, 1, vcpu, RWX): the guest is checked before the host; a page
    // already SHARED_OWNED may be shared with more guests (host_share_guest_count), nothing else
    private Errno pkvmHostShareGuest(long pfn, String vm, long gfn) {
        if (!pfnRangeIsValid(pfn, 1)) {
            return Errno.EINVAL;
        }
        Errno e = checkRangeAllowedMemory(Pages.addressOf(pfn), Pages.addressOf(pfn + 1));
        if (e != null) {
            return e;
        }
        if (s.guestPfn(vm, gfn) != null) {
            return Errno.EPERM; // __guest_check_page_state_range(NOPAGE)
        }
        switch (s.hostState(pfn)) {
            case OWNED:
                break;
            case SHARED_OWNED:
                if (s.shareGuestCount(pfn) == U32_MAX) {
                    return Errno.EBUSY;
                }
                if (s.shareGuestCount(pfn) != 0) {
                    break; // only host to np-guest multi-sharing is tolerated
                }
                return Errno.EPERM;
            default:
                return Errno.EPERM;
        }
        committed("__pkvm_host_share_guest", pfn, 1);
        hostSetState(pfn, 1, PageState.SHARED_OWNED);
        events.add(new GuestPageShared(vm, gfn, pfn, s.shareGuestCount(pfn) + 1));
        return null;
    }

    // __pkvm_host_unshare_guest() -> __check_host_shared_guest(): the page is the guest PTE's
    private Errno pkvmHostUnshareGuest(String vm, long gfn) {
        Long pfn = s.guestPfn(vm, gfn);
        if (pfn == null) {
            return Errno.ENOENT;
        }
        if (s.hostState(pfn) != PageState.SHARED_OWNED) {
            return Errno.EPERM;
        }
        int count = s.shareGuestCount(pfn);
        if (count == 0) {
            return Errno.EINVAL; // WARN_ON(!page->host_share_guest_count)
        }
        committed("__pkvm_host_unshare_guest", pfn, 1);
        events.add(new GuestPageUnshared(vm, gfn, pfn, count - 1));
        if (count == 1) {
            hostSetState(pfn, 1, PageState.OWNED);
        }
        return null;
    }

    // ---- the raw page-table call and the host's aborts ----

    // kvm_pgtable_stage2_set_owner() (5.13): no memory check, no force_pte, so a block-aligned
    // range becomes one block annotation
    private Errno kvmPgtableStage2SetOwner(long addr, long size, long ownerId) {
        long parameter = enc.parameter(ownerId);
        Errno e = enc.check(parameter);
        if (e != null) {
            return e;
        }
        long annotation = enc.annotation(parameter);
        e = host.setOwner(addr, size, annotation, false);
        if (e != null) {
            return e; // ERANGE from kvm_pgtable_walk(), before any entry is visited
        }
        events.add(new PkvmOwnerSet(addr, size, ownerId, annotation, enc.bits));
        drain();
        return null;
    }

    // handle_host_mem_abort() -> host_stage2_idmap() (5.13): map the largest compatible block of the
    // memblock or MMIO gap around the address, RWX for memory and RW for MMIO. A page owned by
    // someone else is -EEXIST from kvm_pgtable_stage2_find_range(), where 5.13 BUG()s and later
    // kernels (-EPERM from host_stage2_adjust_range()) inject an abort into the host: denied (EPERM).
    private Errno handleHostMemAbort(long pfn, Access access) {
        long addr = Pages.addressOf(pfn);
        if (!pfnRangeIsValid(pfn, 1)) {
            return Errno.EPERM; // beyond the PA range: the host cannot make such an access
        }
        long pte = s.hostStage2().leaf(addr).pte();
        if (KvmPte.valid(pte) && KvmPte.permits(pte, access)) {
            return null; // mapped already: the host does not even fault
        }
        HostMemory.Range r = mem.find(addr);
        long attr = KvmPte.attr(r.memory() ? Prot.RWX : Prot.RW, !r.memory());
        if (!KvmPte.permits(attr, access)) {
            return Errno.EPERM; // an instruction fetch from MMIO, which the host only ever gets RW
        }
        long[] range = host.findRange(addr, attr, r.start(), r.end());
        if (range == null) {
            return Errno.EPERM;
        }
        Errno e = host.map(range[0], range[1] - range[0], attr, false);
        warnOn(e, "__host_stage2_idmap");
        drain();
        return null;
    }
}
