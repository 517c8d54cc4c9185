package kvmsim.domain.audit;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vm.PendingOp;
import kvmsim.domain.vm.VmEvent;

/**
 * Checks the invariants of design.md over a stream of events, in the order they were
 * persisted. It keeps its own projection of the facts it needs, each with the event that made it
 * true, so a violation can name the chain. The same events give the same verdicts whichever engine
 * produced them, and a stored run can be audited again from its journal.
 */
public final class Auditor {

    private static final class VmFacts {
        String host;
        boolean fwb;
        ChainLink mte;
        ChainLink lastReset;
        final Map<PendingOp, ChainLink> pending = new EnumMap<>(PendingOp.class);

        VmFacts copy() {
            VmFacts c = new VmFacts();
            c.host = host;
            c.fwb = fwb;
            c.mte = mte;
            c.lastReset = lastReset;
            c.pending.putAll(pending);
            return c;
        }
    }

    private static final class PageFacts {
        boolean tagged;
        boolean fetched; // the I-cache may hold lines of this page
        ChainLink dataStale; // written by userspace, not cleaned to PoC
        ChainLink icacheStale; // written by userspace after the guest fetched from it

        PageFacts copy() {
            PageFacts c = new PageFacts();
            c.tagged = tagged;
            c.fetched = fetched;
            c.dataStale = dataStale;
            c.icacheStale = icacheStale;
            return c;
        }
    }

    private final Map<String, VmFacts> vms = new LinkedHashMap<>();
    private final Map<String, Map<Long, PageFacts>> pages = new LinkedHashMap<>();
    private final List<Violation> violations = new ArrayList<>();
    private final Set<String> reported = new LinkedHashSet<>();
    private final DirtyLogAudit dirtyLog = new DirtyLogAudit(this::report);
    private final GmemAudit gmem = new GmemAudit(this::report);
    private final PkvmAudit pkvm = new PkvmAudit(this::report);

    public List<Violation> violations() {
        return List.copyOf(violations);
    }

    /**
     * An auditor with the same facts, violations and reports that shares no mutable part with this
     * one: folding events into either leaves the other as it was. Explore keeps one per state and
     * folds each step into a copy of its state's, instead of folding the whole path again. Every fact
     * map of the audits is a linked one, so a copy iterates in its original's order and reports a
     * step's several findings in the order a replay does (a hash map copied into a smaller table
     * would not). The images of {@link #facts()} are only compared: plain hash maps.
     */
    public Auditor copy() {
        Auditor c = new Auditor();
        vms.forEach((vm, f) -> c.vms.put(vm, f.copy()));
        pages.forEach((host, hp) -> {
            Map<Long, PageFacts> m = new LinkedHashMap<>();
            hp.forEach((p, f) -> m.put(p, f.copy()));
            c.pages.put(host, m);
        });
        c.violations.addAll(violations);
        c.reported.addAll(reported);
        dirtyLog.copyInto(c.dirtyLog);
        gmem.copyInto(c.gmem);
        pkvm.copyInto(c.pkvm);
        return c;
    }

    /** The ids of the invariants broken so far (CHECK violations). */
    public Set<String> brokenIds() {
        Set<String> ids = new LinkedHashSet<>();
        violations.forEach(v -> ids.add(v.invariant()));
        return ids;
    }

    /**
     * A value image of every fact the auditor keeps between steps, without the path that made them: a fact's chain link
     * (the event and line that made it true) is only whether it holds, and a violation already reported (it is not reported
     * twice) is its invariant and entity. Every rule reads a link only to name it in a chain, so two auditors with equal images
     * find the same invariants broken at the same entities from there on, with the chains of their own paths. Explore merges
     * states by it.
     */
    public Object facts() {
        Map<String, List<Object>> vmImage = new HashMap<>();
        vms.forEach((vm, f) -> vmImage.put(vm, java.util.Arrays.asList(f.host, f.fwb, f.mte != null, f.lastReset != null,
                new java.util.TreeSet<>(f.pending.keySet()))));
        Map<String, Map<Long, List<Object>>> pageImage = new HashMap<>();
        pages.forEach((host, hp) -> {
            Map<Long, List<Object>> m = new HashMap<>();
            hp.forEach((p, f) -> m.put(p, List.of(f.tagged, f.fetched, f.dataStale != null, f.icacheStale != null)));
            pageImage.put(host, m);
        });
        Set<String> found = new java.util.TreeSet<>();
        violations.forEach(v -> found.add(v.invariant() + "@" + v.entity()));
        return List.of(vmImage, pageImage, found, dirtyLog.facts(), gmem.facts(), pkvm.facts());
    }

    /** Folds one persisted event; returns the violations it revealed. */
    public List<Violation> observe(EntityId entity, Recorded r) {
        int before = violations.size();
        ChainLink link = new ChainLink(r.line(), entity.path(), r.event());
        if (r.event() instanceof VmEvent e) {
            vmEvent(entity.key(), e, link);
            VmFacts f = vms.get(entity.key());
            gmem.vmEvent(entity.key(), f == null ? null : f.host, e, link, r.line());
        } else if (r.event() instanceof HostEvent e) {
            hostEvent(entity.key(), e, link);
            gmem.hostEvent(entity, e, link, r.line());
            pkvm.hostEvent(entity, e, link, r.line());
        } else if (r.event() instanceof VcpuEvent e) {
            vcpuEvent(entity, e, link, r.line());
            dirtyLog.vcpuEvent(entity, e, link);
        } else if (r.event() instanceof MemslotEvent e) {
            dirtyLog.memslotEvent(entity, e, link);
        }
        return List.copyOf(violations.subList(before, violations.size()));
    }

    /**
     * The step at {@code line} returned to userspace: checks what must hold when an ioctl returns.
     * An offline audit calls it whenever the trace line of the events changes, and at the end.
     */
    public List<Violation> endStep(int line) {
        int before = violations.size();
        dirtyLog.endStep(line);
        pkvm.endStep(line);
        return List.copyOf(violations.subList(before, violations.size()));
    }

    private void vmEvent(String vm, VmEvent e, ChainLink link) {
        if (e instanceof VmEvent.VmCreated c) {
            VmFacts f = new VmFacts();
            f.host = c.host();
            f.fwb = c.fwb();
            vms.put(vm, f);
            return;
        }
        VmFacts f = vms.get(vm);
        if (f == null) {
            return;
        }
        if (e instanceof VmEvent.MteEnabled) {
            f.mte = link;
        } else if (e instanceof VmEvent.PendingOpsSet s) {
            s.ops().forEach(op -> f.pending.put(op, link));
        } else if (e instanceof VmEvent.PendingOpsCleared c) {
            c.ops().forEach(f.pending::remove);
        }
    }

    private void hostEvent(String host, HostEvent e, ChainLink link) {
        Map<Long, PageFacts> hp = pages.computeIfAbsent(host, h -> new LinkedHashMap<>());
        if (e instanceof HostEvent.UserspaceWrote w) {
            long first = Pages.pageOf(w.hva());
            long last = Pages.pageOf(w.hva() + w.length() - 1);
            for (long p = first; p <= last; p++) {
                PageFacts pf = hp.computeIfAbsent(p, x -> new PageFacts());
                pf.dataStale = link;
                if (pf.fetched) {
                    pf.icacheStale = link;
                }
            }
            w.tagsInitialised().forEach(p -> hp.computeIfAbsent(p, x -> new PageFacts()).tagged = true);
        } else if (e instanceof HostEvent.MteTagsSanitised t) {
            t.hvaPages().forEach(p -> hp.computeIfAbsent(p, x -> new PageFacts()).tagged = true);
        } else if (e instanceof HostEvent.DcacheCleaned d) {
            forRange(hp, d.hva(), d.npages(), pf -> pf.dataStale = null);
        } else if (e instanceof HostEvent.IcacheInvalidated i) {
            forRange(hp, i.hva(), i.npages(), pf -> pf.icacheStale = null);
        } else if (e instanceof HostEvent.IcacheInvalidatedAll) {
            hp.values().forEach(pf -> pf.icacheStale = null);
        }
    }

    private static void forRange(Map<Long, PageFacts> hp, long hva, long npages, java.util.function.Consumer<PageFacts> f) {
        long first = Pages.pageOf(hva);
        if (npages < hp.size()) {
            for (long p = first; p < first + npages; p++) {
                PageFacts pf = hp.get(p);
                if (pf != null) {
                    f.accept(pf);
                }
            }
        } else {
            hp.forEach((p, pf) -> {
                if (p >= first && p < first + npages) {
                    f.accept(pf);
                }
            });
        }
    }

    private void vcpuEvent(EntityId entity, VcpuEvent e, ChainLink link, int line) {
        String vm = entity.key().substring(0, entity.key().lastIndexOf('/'));
        VmFacts f = vms.get(vm);
        if (f == null) {
            return;
        }
        if (e instanceof VcpuEvent.VcpuInitialised i && i.reset()) {
            f.lastReset = link;
        } else if (e instanceof VcpuEvent.VcpuEnteredGuest) {
            checkEntry(entity, f, link, line);
        } else if (e instanceof VcpuEvent.GuestAccessed a && a.exit() == GuestExit.NONE && a.hvaPage() >= 0) {
            PageFacts pf = pages.computeIfAbsent(f.host, h -> new LinkedHashMap<>())
                    .computeIfAbsent(a.hvaPage(), x -> new PageFacts());
            if (f.mte != null && !pf.tagged) {
                report(Invariant.TAGS_SANITISED_BEFORE_ACCESS, entity, line, "page " + a.hvaPage(),
                        chain(f.mte, link));
            }
            if (a.kind() == GuestAccessKind.EXEC) {
                ChainLink stale = pf.icacheStale != null ? pf.icacheStale : (f.fwb ? null : pf.dataStale);
                if (stale != null && f.lastReset != null) {
                    report(Invariant.ICACHE_COHERENT_AFTER_RESET, entity, line, "page " + a.hvaPage() + " " + stale,
                            chain(stale, f.lastReset, link));
                }
                pf.fetched = true;
            }
        }
    }

    // kvm_arch_vcpu_ioctl_run(): entering with an op pending that applies, or one that never can
    private void checkEntry(EntityId vcpu, VmFacts f, ChainLink entry, int line) {
        List<ChainLink> applying = new ArrayList<>();
        f.pending.forEach((op, cause) -> {
            if (op != PendingOp.SANITISE_TAGS || f.mte != null) {
                applying.add(cause);
            }
        });
        if (!applying.isEmpty()) {
            applying.add(entry);
            report(Invariant.PENDING_OPS_BEFORE_ENTRY, vcpu, line, applying.get(0).toString(), applying);
        }
        ChainLink leak = f.pending.get(PendingOp.SANITISE_TAGS);
        if (leak != null && f.mte == null) {
            report(Invariant.PENDING_OP_LEAK, vcpu, line, leak.toString(), chain(leak, entry));
        }
    }

    private static List<ChainLink> chain(ChainLink... links) {
        List<ChainLink> out = new ArrayList<>();
        for (ChainLink l : links) {
            if (l != null) {
                out.add(l);
            }
        }
        return out;
    }

    // one report per invariant, entity and cause: a leak seen by every later KVM_RUN is one leak
    private void report(Invariant inv, EntityId entity, int line, String cause, List<ChainLink> chain) {
        if (reported.add(inv.id + "|" + entity.path() + "|" + cause)) {
            violations.add(new Violation(inv.id, entity.path(), line, chain));
        }
    }
}
