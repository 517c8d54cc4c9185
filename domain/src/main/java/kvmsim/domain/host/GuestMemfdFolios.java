package kvmsim.domain.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.Event;
import kvmsim.domain.entity.StateMaps;
import kvmsim.domain.host.HostCommand.*;
import kvmsim.domain.host.HostEvent.*;
import kvmsim.domain.policy.DirectMapPolicy;

/**
 * guest_memfd folios and their direct-map entries (virt/kvm/guest_memfd.c with Roy's RFC, seed 001).
 * Every direct-map change happens between a FolioLocked and a FolioUnlocked of the same command:
 * the folio lock is what keeps two kernel paths from restoring and zapping under each other.
 */
final class GuestMemfdFolios {

    private GuestMemfdFolios() {
    }

    static Decision decide(HostState s, FolioCommand c) {
        return switch (c) {
            case CreateGmem g -> s.gmem().containsKey(g.gmem())
                    ? Decision.reject(Errno.EEXIST) // kvmsim: a gmem id names one guest_memfd for the whole trace
                    : Decision.accept(new GmemCreated(g.gmem(), g.vm(), g.size(), g.flags()));
            case GmemGetPfn g -> kvmGmemGetPfn(s, g);
            case AccessGmemFolio a -> accessPrivatePage(folio(s, a.pfn()), a.pfn(), a.write());
            case GpcAccessFolio a -> {
                folio(s, a.pfn());
                yield Decision.accept(new KernelAccessedFolio(a.pfn(), a.write(), "gpc"));
            }
            case GpcMapFolio m -> noDirectMap(s, m.pfn()) ? gpcMapGmem(folio(s, m.pfn()), m.pfn(), m.policy())
                    : Decision.ok(); // gpc_map_gmem(): nothing to do unless the inode has KVM_GMEM_NO_DIRECT_MAP
            case GpcUnmapFolio u -> noDirectMap(s, u.pfn()) ? gpcUnmapGmem(folio(s, u.pfn()), u.pfn(), u.policy())
                    : Decision.ok();
        };
    }

    private static Folio folio(HostState s, long pfn) {
        Folio f = s.folios().get(pfn);
        if (f == null) {
            throw new IllegalArgumentException("no guest_memfd folio at pfn " + pfn);
        }
        return f;
    }

    private static boolean noDirectMap(HostState s, long pfn) {
        return s.gmem().get(folio(s, pfn).gmem()).noDirectMap();
    }

    // kvm_gmem_get_pfn() -> kvm_gmem_get_folio(): filemap_grab_folio() hands back a new folio locked;
    // it is zeroed and prepared, and with KVM_GMEM_NO_DIRECT_MAP (RFC 4/8) removed from the direct map
    // with PG_private set before it is unlocked
    private static Decision kvmGmemGetPfn(HostState s, GmemGetPfn g) {
        GmemInode inode = s.gmem().get(g.gmem());
        if (inode == null || Long.compareUnsigned(g.index(), Pages.count(inode.size())) >= 0) {
            return Decision.reject(Errno.EFAULT);
        }
        if (inode.pages().containsKey(g.index())) {
            return Decision.ok();
        }
        long pfn = HostState.FIRST_GMEM_PFN + s.folios().size();
        List<Event> events = new ArrayList<>();
        events.add(new GmemFolioAllocated(g.gmem(), g.index(), pfn));
        if (inode.noDirectMap()) {
            events.add(new DirectMapZapped(pfn));
            events.add(new FolioPrivateChanged(pfn, true));
        }
        events.add(new FolioUnlocked(pfn));
        return Decision.accept(events);
    }

    // __kvm_read_guest_private_page() / __kvm_write_guest_private_page() (RFC 6/8): under the folio
    // lock, restore the entry if PG_private says it is gone, copy, zap it again; a page that a cache
    // holds (PG_private clear) is left alone
    private static Decision accessPrivatePage(Folio f, long pfn, boolean write) {
        List<Event> events = new ArrayList<>();
        events.add(new FolioLocked(pfn));
        if (f.pgPrivate()) {
            events.add(new DirectMapRestored(pfn));
        }
        events.add(new KernelAccessedFolio(pfn, write, write ? "kvm_write_guest" : "kvm_read_guest"));
        if (f.pgPrivate()) {
            events.add(new DirectMapZapped(pfn));
        }
        events.add(new FolioUnlocked(pfn));
        return Decision.accept(events);
    }

    // gpc_map_gmem() (RFC 6/8), with the review's page_private() count as policy refcounted
    private static Decision gpcMapGmem(Folio f, long pfn, DirectMapPolicy policy) {
        List<Event> events = new ArrayList<>();
        events.add(new FolioLocked(pfn));
        switch (policy) {
            case REFCOUNTED -> {
                if (f.mapCount() == 0 && f.pgPrivate()) {
                    restore(events, pfn);
                }
                events.add(new FolioMapCountSet(pfn, f.mapCount() + 1));
            }
            case EXCLUSIVE -> {
                if (!f.pgPrivate()) {
                    // "another gfn_to_pfn_cache is currently active for the given pfn"
                    return Decision.reject(Errno.EINVAL);
                }
                restore(events, pfn);
            }
            case UNCHECKED -> {
                if (f.pgPrivate()) {
                    restore(events, pfn);
                }
            }
        }
        events.add(new FolioUnlocked(pfn));
        return Decision.accept(events);
    }

    // gpc_unmap() (RFC 6/8): zap and set PG_private; refcounted only when the last cache lets go.
    // The RFC's BUG_ON(folio_test_private()) cannot fire under exclusive; unchecked has no guard.
    private static Decision gpcUnmapGmem(Folio f, long pfn, DirectMapPolicy policy) {
        List<Event> events = new ArrayList<>();
        events.add(new FolioLocked(pfn));
        boolean zap = true;
        if (policy == DirectMapPolicy.REFCOUNTED) {
            int left = Math.max(0, f.mapCount() - 1);
            events.add(new FolioMapCountSet(pfn, left));
            zap = left == 0;
        }
        if (zap) {
            events.add(new DirectMapZapped(pfn));
            events.add(new FolioPrivateChanged(pfn, true));
        }
        events.add(new FolioUnlocked(pfn));
        return Decision.accept(events);
    }

    private static void restore(List<Event> events, long pfn) {
        events.add(new DirectMapRestored(pfn));
        events.add(new FolioPrivateChanged(pfn, false));
    }

    static HostState evolve(HostState s, FolioEvent e) {
        return switch (e) {
            case GmemCreated g -> s.withGmem(StateMaps.with(s.gmem(), g.gmem(),
                    new GmemInode(g.vm(), g.size(), g.flags(), Map.of())), s.folios());
            case GmemFolioAllocated a -> {
                GmemInode inode = s.gmem().get(a.gmem());
                GmemInode grown = new GmemInode(inode.vm(), inode.size(), inode.flags(),
                        StateMaps.with(inode.pages(), a.index(), a.pfn()));
                yield s.withGmem(StateMaps.with(s.gmem(), a.gmem(), grown),
                        StateMaps.with(s.folios(), a.pfn(), Folio.allocated(a.gmem(), a.index())));
            }
            case FolioLocked l -> folio(s, l.pfn(), f -> f.withLocked(true));
            case FolioUnlocked u -> folio(s, u.pfn(), f -> f.withLocked(false));
            case DirectMapZapped z -> folio(s, z.pfn(), f -> f.withDirectMap(false));
            case DirectMapRestored r -> folio(s, r.pfn(), f -> f.withDirectMap(true));
            case FolioPrivateChanged p -> folio(s, p.pfn(), f -> f.withPgPrivate(p.set()));
            case FolioMapCountSet m -> folio(s, m.pfn(), f -> f.withMapCount(m.count()));
            case KernelAccessedFolio k -> s; // changes nothing: the auditor checks it
        };
    }

    private static HostState folio(HostState s, long pfn, java.util.function.UnaryOperator<Folio> change) {
        return s.withGmem(s.gmem(), StateMaps.with(s.folios(), pfn, change.apply(s.folios().get(pfn))));
    }
}
