package kvmsim.domain.host;

import java.util.HashMap;
import java.util.Map;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.host.HostEvent.*;

/**
 * What the pKVM hypervisor knows about memory: the host stage-2 (which holds the host's page
 * states in its software bits and other owners' ids in its invalid entries), the hypervisor's own
 * page states, the pin counts and host_share_guest_count of struct hyp_page, and the guests'
 * stage-2 entries of pages the host shares with them.
 *
 * @param hyp the hypervisor's state of each page it has; a page not here is NOPAGE
 * @param pins hyp_page refcount, taken by hyp_pin_shared_mem()
 * @param shareGuestCount hyp_page host_share_guest_count
 * @param guests vm, then gfn, then the pfn its stage-2 maps (SHARED_BORROWED)
 * @param ffa the pages the FF-A proxy shared with the secure world for the host
 * @param encoding where the host stage-2 keeps owner ids (policy pkvm-owner-bits)
 */
public record PkvmState(OwnerEncoding encoding, HostStage2 hostStage2, Map<Long, PageState> hyp, Map<Long, Integer> pins,
        Map<Long, Integer> shareGuestCount, Map<String, Map<Long, Long>> guests, java.util.Set<Long> ffa) {

    /** enum pkvm_component_id. */
    public static final long ID_HOST = 0;
    public static final long ID_HYP = 1;
    public static final long ID_GUEST = 2;

    public PkvmState {
        hyp = Map.copyOf(hyp);
        pins = Map.copyOf(pins);
        shareGuestCount = Map.copyOf(shareGuestCount);
        Map<String, Map<Long, Long>> g = new HashMap<>();
        guests.forEach((k, v) -> g.put(k, Map.copyOf(v)));
        guests = Map.copyOf(g);
        ffa = java.util.Set.copyOf(ffa);
    }

    public static PkvmState initial(OwnerEncoding encoding) {
        return new PkvmState(encoding, HostStage2.initial(), Map.of(), Map.of(), Map.of(), Map.of(), java.util.Set.of());
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
                Map<Long, PageState> m = new HashMap<>(hyp);
                for (long p = h.pfn(); p < h.pfn() + h.nrPages(); p++) {
                    if (h.state() == PageState.NOPAGE) {
                        m.remove(p);
                    } else {
                        m.put(p, h.state());
                    }
                }
                yield new PkvmState(encoding, hostStage2, m, pins, shareGuestCount, guests, ffa);
            }
            case HypPageRefcountChanged r -> new PkvmState(encoding, hostStage2, hyp, put(pins, r.pfn(), r.refcount()),
                    shareGuestCount, guests, ffa);
            case HostFfaShareChanged f -> {
                java.util.Set<Long> m = new java.util.HashSet<>(ffa);
                for (long p = f.pfn(); p < f.pfn() + f.nrPages(); p++) {
                    if (f.shared()) {
                        m.add(p);
                    } else {
                        m.remove(p);
                    }
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
        Map<Long, Integer> out = new HashMap<>(m);
        if (count == 0) {
            out.remove(pfn);
        } else {
            out.put(pfn, count);
        }
        return out;
    }

    private Map<String, Map<Long, Long>> guest(String vm, long gfn, Long pfn) {
        Map<String, Map<Long, Long>> out = new HashMap<>(guests);
        Map<Long, Long> g = new HashMap<>(guests.getOrDefault(vm, Map.of()));
        if (pfn == null) {
            g.remove(gfn);
        } else {
            g.put(gfn, pfn);
        }
        out.put(vm, g);
        return out;
    }
}
