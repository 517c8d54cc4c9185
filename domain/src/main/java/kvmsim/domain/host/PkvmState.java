package kvmsim.domain.host;

import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.StateMaps;
import kvmsim.domain.host.HostEvent.*;
import org.pcollections.TreePMap;
import org.pcollections.TreePSet;

/**
 * What the pKVM hypervisor knows about memory: the host stage-2 (which holds the host's page
 * states in its software bits and other owners' ids in its invalid entries), the hypervisor's own
 * page states, the pin counts and host_share_guest_count of struct hyp_page, and the guests'
 * stage-2 entries of pages the host shares with them. Its maps and set are persistent (see
 * StateMaps): an event changes the entries it names and shares the rest.
 *
 * @param hyp the hypervisor's state of each page it has; a page not here is NOPAGE
 * @param pins hyp_page refcount, taken by hyp_pin_shared_mem()
 * @param shareGuestCount hyp_page host_share_guest_count
 * @param guests vm, then gfn, then the pfn its stage-2 maps (SHARED_BORROWED)
 * @param ffa the pages the FF-A proxy shared with the secure world for the host
 * @param encoding where the host stage-2 keeps owner ids (policy pkvm-owner-bits)
 */
public record PkvmState(OwnerEncoding encoding, HostStage2 hostStage2, Map<Long, PageState> hyp, Map<Long, Integer> pins,
        Map<Long, Integer> shareGuestCount, Map<String, Map<Long, Long>> guests, Set<Long> ffa) {

    /** enum pkvm_component_id. */
    public static final long ID_HOST = 0;
    public static final long ID_HYP = 1;
    public static final long ID_GUEST = 2;

    public PkvmState {
        hyp = StateMaps.sorted(hyp);
        pins = StateMaps.sorted(pins);
        shareGuestCount = StateMaps.sorted(shareGuestCount);
        TreePMap<String, Map<Long, Long>> g = StateMaps.sorted(guests);
        for (Map.Entry<String, Map<Long, Long>> e : guests.entrySet()) {
            TreePMap<Long, Long> inner = StateMaps.sorted(e.getValue());
            if (inner != e.getValue()) {
                g = g.plus(e.getKey(), inner); // read back from JSON or built by hand: made persistent once
            }
        }
        guests = g;
        ffa = StateMaps.sortedSet(ffa);
    }

    public static PkvmState initial(OwnerEncoding encoding) {
        return new PkvmState(encoding, HostStage2.initial(), Map.of(), Map.of(), Map.of(), Map.of(), Set.of());
    }

    /** host_get_page_state(): an invalid non-zero PTE is another owner's; a zero PTE is the host's, lazily. */
    public PageState hostState(long pfn) {
        long pte = hostStage2.leaf(Pages.addressOf(pfn)).pte();
        if (!KvmPte.valid(pte) && pte != 0) {
            return PageState.NOPAGE;
        }
        return KvmPte.state(pte);
    }

    public PageState hypState(long pfn) {
        return hyp.getOrDefault(pfn, PageState.NOPAGE);
    }

    /** hyp_page_count(). */
    public int pinCount(long pfn) {
        return pins.getOrDefault(pfn, 0);
    }

    public int shareGuestCount(long pfn) {
        return shareGuestCount.getOrDefault(pfn, 0);
    }

    /** The pfn the guest's stage-2 maps at gfn, or null (NOPAGE). */
    public Long guestPfn(String vm, long gfn) {
        return guests.getOrDefault(vm, Map.of()).get(gfn);
    }

    /** The owner id the host stage-2 records for the page (0, the host, for a valid or zero PTE). */
    public long owner(long pfn) {
        long pte = hostStage2.leaf(Pages.addressOf(pfn)).pte();
        return KvmPte.valid(pte) ? ID_HOST : encoding.owner(pte);
    }

    public PkvmState evolve(PkvmEvent e) {
        return switch (e) {
            case HypPageStateSet h -> {
                TreePMap<Long, PageState> m = StateMaps.sorted(hyp);
                for (long p = h.pfn(); p < h.pfn() + h.nrPages(); p++) {
                    m = h.state() == PageState.NOPAGE ? m.minus(p) : m.plus(p, h.state());
                }
                yield new PkvmState(encoding, hostStage2, m, pins, shareGuestCount, guests, ffa);
            }
            case HypPageRefcountChanged r -> new PkvmState(encoding, hostStage2, hyp, put(pins, r.pfn(), r.refcount()),
                    shareGuestCount, guests, ffa);
            case HostFfaShareChanged f -> {
                TreePSet<Long> m = StateMaps.sortedSet(ffa);
                for (long p = f.pfn(); p < f.pfn() + f.nrPages(); p++) {
                    m = f.shared() ? m.plus(p) : m.minus(p);
                }
                yield new PkvmState(encoding, hostStage2, hyp, pins, shareGuestCount, guests, m);
            }
            case GuestPageShared g -> new PkvmState(encoding, hostStage2, hyp, pins,
                    put(shareGuestCount, g.pfn(), g.shareCount()), guest(g.vm(), g.gfn(), g.pfn()), ffa);
            case GuestPageUnshared g -> new PkvmState(encoding, hostStage2, hyp, pins,
                    put(shareGuestCount, g.pfn(), g.shareCount()), guest(g.vm(), g.gfn(), null), ffa);
            case HostStage2PteWritten w -> withHostStage2(hostStage2.pteWritten(w));
            case HostStage2RefcountChanged r -> withHostStage2(hostStage2.refcountChanged(r));
            case HostStage2TableAllocated t -> withHostStage2(hostStage2.tableAllocated(t));
            case HostStage2TableFreed f -> withHostStage2(hostStage2.tableFreed(f));
            // the hypercall's transition record and the owner annotation's intent: its PTE writes follow
            case PkvmOwnerSet o -> this;
            case PkvmTransitionCommitted t -> this;
        };
    }

    private PkvmState withHostStage2(HostStage2 h) {
        return new PkvmState(encoding, h, hyp, pins, shareGuestCount, guests, ffa);
    }

    private static Map<Long, Integer> put(Map<Long, Integer> m, long pfn, int count) {
        return count == 0 ? StateMaps.without(m, pfn) : StateMaps.with(m, pfn, count);
    }

    private Map<String, Map<Long, Long>> guest(String vm, long gfn, Long pfn) {
        Map<Long, Long> g = guests.getOrDefault(vm, Map.of());
        return StateMaps.with(guests, vm, pfn == null ? StateMaps.without(g, gfn) : StateMaps.with(g, gfn, pfn));
    }
}
