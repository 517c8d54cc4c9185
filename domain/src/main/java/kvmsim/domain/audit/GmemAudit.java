package kvmsim.domain.audit;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.vm.VmEvent;

/**
 * The guest_memfd direct-map invariants (design.md; kvm-semantics.md 3.4 G3 and G4), over the same
 * event stream as the rest of the auditor:
 * <ul>
 * <li>direct-map-access: the host kernel touches a folio only while its direct-map entry is
 * present, and changes that entry only under the folio lock;</li>
 * <li>gpc-mapping-broken: an active, valid gfn_to_pfn cache never points at a folio that is gone
 * from the direct map (the map(A) map(B) unmap(A) of seed 001).</li>
 * </ul>
 */
final class GmemAudit {

    private static final class FolioFacts {
        boolean directMap = true;
        boolean locked;
        ChainLink zapped; // the event that removed the entry, while it is removed

        FolioFacts copy() {
            FolioFacts c = new FolioFacts();
            c.directMap = directMap;
            c.locked = locked;
            c.zapped = zapped;
            return c;
        }
    }

    /** A cache that is active and valid on a guest_memfd pfn, and the event that made it so. */
    private record HeldBy(String vm, String gpc, long pfn, ChainLink since) {
    }

    private final DirtyLogAudit.Reporter reporter;
    private final Map<String, Map<Long, FolioFacts>> folios = new LinkedHashMap<>(); // host -> pfn -> facts
    private final Map<String, Map<String, HeldBy>> caches = new LinkedHashMap<>(); // host -> vm/gpc -> holder

    // Auditor#facts()
    Object facts() {
        Map<String, Map<Long, List<Object>>> folioImage = new HashMap<>();
        folios.forEach((host, m) -> {
            Map<Long, List<Object>> out = new HashMap<>();
            m.forEach((pfn, f) -> out.put(pfn, List.of(f.directMap, f.locked, f.zapped != null)));
            folioImage.put(host, out);
        });
        Map<String, Map<String, List<Object>>> cacheImage = new HashMap<>();
        caches.forEach((host, m) -> {
            Map<String, List<Object>> out = new HashMap<>();
            m.forEach((key, h) -> out.put(key, List.of(h.vm(), h.gpc(), h.pfn())));
            cacheImage.put(host, out);
        });
        return List.of(folioImage, cacheImage);
    }

    GmemAudit(DirtyLogAudit.Reporter reporter) {
        this.reporter = reporter;
    }

    // Auditor#copy()
    void copyInto(GmemAudit to) {
        folios.forEach((host, m) -> {
            Map<Long, FolioFacts> c = new LinkedHashMap<>();
            m.forEach((pfn, f) -> c.put(pfn, f.copy()));
            to.folios.put(host, c);
        });
        caches.forEach((host, m) -> to.caches.put(host, new LinkedHashMap<>(m)));
    }

    void hostEvent(EntityId host, HostEvent e, ChainLink link, int line) {
        Map<Long, FolioFacts> fs = folios.computeIfAbsent(host.key(), h -> new LinkedHashMap<>());
        if (e instanceof HostEvent.GmemFolioAllocated a) {
            FolioFacts f = new FolioFacts();
            f.locked = true;
            fs.put(a.pfn(), f);
        } else if (e instanceof HostEvent.FolioLocked l) {
            facts(fs, l.pfn()).locked = true;
        } else if (e instanceof HostEvent.FolioUnlocked u) {
            facts(fs, u.pfn()).locked = false;
        } else if (e instanceof HostEvent.DirectMapRestored r) {
            FolioFacts f = facts(fs, r.pfn());
            unlockedChange(host, f, r.pfn(), link, line);
            f.directMap = true;
            f.zapped = null;
        } else if (e instanceof HostEvent.DirectMapZapped z) {
            FolioFacts f = facts(fs, z.pfn());
            unlockedChange(host, f, z.pfn(), link, line);
            f.directMap = false;
            f.zapped = link;
            for (HeldBy h : caches.getOrDefault(host.key(), Map.of()).values()) {
                if (h.pfn() == z.pfn()) {
                    reporter.report(Invariant.GPC_MAPPING_BROKEN, EntityId.vm(h.vm()), line,
                            "gpc " + h.gpc() + " pfn " + z.pfn() + " " + link, List.of(h.since(), link));
                }
            }
        } else if (e instanceof HostEvent.KernelAccessedFolio a) {
            FolioFacts f = facts(fs, a.pfn());
            if (!f.directMap) {
                reporter.report(Invariant.DIRECT_MAP_ACCESS, host, line, "pfn " + a.pfn() + " " + link,
                        List.of(f.zapped, link));
            }
        }
    }

    void vmEvent(String vm, String host, VmEvent e, ChainLink link, int line) {
        if (host == null) {
            return;
        }
        Map<String, HeldBy> held = caches.computeIfAbsent(host, h -> new LinkedHashMap<>());
        if (e instanceof VmEvent.GpcRefreshed r) {
            String key = vm + "/" + r.gpc();
            held.remove(key);
            if (r.isPrivate()) {
                held.put(key, new HeldBy(vm, r.gpc(), r.pfn(), link));
                FolioFacts f = folios.computeIfAbsent(host, x -> new LinkedHashMap<>()).get(r.pfn());
                if (f != null && !f.directMap) {
                    reporter.report(Invariant.GPC_MAPPING_BROKEN, EntityId.vm(vm), line,
                            "gpc " + r.gpc() + " pfn " + r.pfn() + " " + link, List.of(f.zapped, link));
                }
            }
        } else if (e instanceof VmEvent.GpcRefreshFailed f) {
            held.remove(vm + "/" + f.gpc());
        } else if (e instanceof VmEvent.GpcDeactivated d) {
            held.remove(vm + "/" + d.gpc());
        } else if (e instanceof VmEvent.GpcInvalidated i) {
            i.gpcs().forEach(g -> held.remove(vm + "/" + g));
        }
    }

    private static FolioFacts facts(Map<Long, FolioFacts> fs, long pfn) {
        return fs.computeIfAbsent(pfn, p -> new FolioFacts());
    }

    // G4: PG_private and the direct map change together, under the folio lock
    private void unlockedChange(EntityId host, FolioFacts f, long pfn, ChainLink link, int line) {
        if (!f.locked) {
            reporter.report(Invariant.DIRECT_MAP_ACCESS, host, line,
                    "pfn " + pfn + " direct map changed without the folio lock " + link, List.of(link));
        }
    }
}
