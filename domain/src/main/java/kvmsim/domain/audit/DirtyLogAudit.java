package kvmsim.domain.audit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuEvent;

/**
 * The x86 dirty-logging invariants (kvm-semantics.md 5.6, D1), over the same event stream as the
 * rest of the auditor:
 * <ul>
 * <li>dirty-log-completeness: a guest write to a slot that logs dirty pages is in the next dirty
 * log of that slot (or userspace cleared its bit with KVM_CLEAR_DIRTY_LOG before asking); with a
 * dirty ring, a write by a vCPU with a ring is accounted for by an entry of its page that is in
 * some ring and not yet reset, or that its own fault pushed; one that is not is reported at the
 * next KVM_RESET_DIRTY_RINGS that resets anything, since no harvest will ever see it;</li>
 * <li>stale-writable-tlb: when a step that write-protected gfns returns, no vCPU still caches a
 * writable translation of one of them, unless its flush request is pending (it flushes before it
 * next enters the guest).</li>
 * </ul>
 */
final class DirtyLogAudit {

    interface Reporter {
        void report(Invariant inv, EntityId entity, int line, String cause, List<ChainLink> chain);
    }

    private static final class SlotFacts {
        SlotGeometry geometry;
        ChainLink loggingOn;
        final Map<Long, ChainLink> lostWrite = new LinkedHashMap<>(); // gfn -> the event that took W away
        final Map<Long, List<ChainLink>> unreported = new TreeMap<>(); // slot page -> chain of its write

        SlotFacts copy() {
            SlotFacts c = new SlotFacts();
            c.geometry = geometry;
            c.loggingOn = loggingOn;
            c.lostWrite.putAll(lostWrite);
            unreported.forEach((p, chain) -> c.unreported.put(p, new ArrayList<>(chain)));
            return c;
        }
    }

    private static final class VcpuFacts {
        final Map<Long, ChainLink> writable = new LinkedHashMap<>(); // gfn -> the fill of a writable entry
        boolean flushPending;

        VcpuFacts copy() {
            VcpuFacts c = new VcpuFacts();
            c.writable.putAll(writable);
            c.flushPending = flushPending;
            return c;
        }
    }

    /** Gfns a step write-protected: a range of the slot, or the listed ones. */
    private record Protected(String vm, long slot, long first, long count, java.util.Set<Long> listed,
            ChainLink link) {
        boolean covers(long gfn) {
            return listed != null ? listed.contains(gfn) : gfn >= first && gfn < first + count;
        }
    }

    /** A page of a ring entry: struct kvm_dirty_gfn's slot and offset. */
    private record RingPage(long slot, long offset) {
    }

    /** A VM's dirty rings, as far as the completeness of the ring goes. */
    private static final class RingFacts {
        final Map<Long, ChainLink> allocated = new LinkedHashMap<>(); // vCPU -> its DirtyRingAllocated
        final Map<RingPage, Integer> outstanding = new LinkedHashMap<>(); // pushed, not yet reset, in any ring
        final Map<RingPage, List<ChainLink>> unaccounted = new java.util.LinkedHashMap<>(); // writes no entry holds

        RingFacts copy() {
            RingFacts c = new RingFacts();
            c.allocated.putAll(allocated);
            c.outstanding.putAll(outstanding);
            unaccounted.forEach((p, chain) -> c.unaccounted.put(p, new ArrayList<>(chain)));
            return c;
        }
    }

    private final Reporter reporter;
    private final Map<String, RingFacts> rings = new LinkedHashMap<>();
    private final Map<String, Map<Long, SlotFacts>> slots = new LinkedHashMap<>();
    private final Map<String, Map<Long, VcpuFacts>> vcpus = new LinkedHashMap<>();
    private final List<Protected> protectedThisStep = new ArrayList<>();

    // Auditor#facts(), chain links as whether they hold; what a step protected is only kept until the step ends
    Object facts() {
        Map<String, Map<Long, List<Object>>> slotImage = new HashMap<>();
        slots.forEach((vm, m) -> {
            Map<Long, List<Object>> out = new HashMap<>();
            m.forEach((slot, f) -> out.put(slot, java.util.Arrays.asList(f.geometry, f.loggingOn != null,
                    new java.util.TreeSet<>(f.lostWrite.keySet()), new java.util.TreeSet<>(f.unreported.keySet()))));
            slotImage.put(vm, out);
        });
        Map<String, Map<Long, List<Object>>> vcpuImage = new HashMap<>();
        vcpus.forEach((vm, m) -> {
            Map<Long, List<Object>> out = new HashMap<>();
            m.forEach((v, f) -> out.put(v, List.of(new java.util.TreeSet<>(f.writable.keySet()), f.flushPending)));
            vcpuImage.put(vm, out);
        });
        Map<String, List<Object>> ringImage = new HashMap<>();
        rings.forEach((vm, r) -> ringImage.put(vm, List.of(new java.util.TreeSet<>(r.allocated.keySet()),
                new HashMap<>(r.outstanding), new java.util.HashSet<>(r.unaccounted.keySet()))));
        return List.of(slotImage, vcpuImage, ringImage);
    }

    DirtyLogAudit(Reporter reporter) {
        this.reporter = reporter;
    }

    // Auditor#copy(): these facts into {@code to}, which reports to its own auditor
    void copyInto(DirtyLogAudit to) {
        rings.forEach((vm, r) -> to.rings.put(vm, r.copy()));
        slots.forEach((vm, m) -> {
            Map<Long, SlotFacts> c = new LinkedHashMap<>();
            m.forEach((slot, f) -> c.put(slot, f.copy()));
            to.slots.put(vm, c);
        });
        vcpus.forEach((vm, m) -> {
            Map<Long, VcpuFacts> c = new LinkedHashMap<>();
            m.forEach((vcpu, f) -> c.put(vcpu, f.copy()));
            to.vcpus.put(vm, c);
        });
        to.protectedThisStep.addAll(protectedThisStep);
    }

    void memslotEvent(EntityId entity, MemslotEvent e, ChainLink link) {
        String vm = vmOf(entity);
        long slot = Long.parseLong(entity.key().substring(entity.key().lastIndexOf('/') + 1));
        Map<Long, SlotFacts> bySlot = slots.computeIfAbsent(vm, k -> new LinkedHashMap<>());
        SlotFacts f = bySlot.computeIfAbsent(slot, k -> new SlotFacts());
        if (e instanceof MemslotEvent.MemslotCreated c) {
            bySlot.put(slot, new SlotFacts());
            bySlot.get(slot).geometry = c.geometry();
        } else if (e instanceof MemslotEvent.MemslotDeleted) {
            bySlot.remove(slot);
            forgetRingWrites(vm, slot);
        } else if (e instanceof MemslotEvent.MemslotMoved m) {
            f.geometry = m.geometry();
            f.lostWrite.clear();
            if (!m.geometry().logsDirtyPages()) {
                forgetRingWrites(vm, slot);
            }
        } else if (e instanceof MemslotEvent.MemslotFlagsChanged c) {
            f.geometry = c.geometry();
            if (!c.geometry().logsDirtyPages()) {
                forgetRingWrites(vm, slot); // logging is off: nobody asks for these pages any more
            }
        } else if (e instanceof MemslotEvent.DirtyBitmapAllocated) {
            f.loggingOn = link;
        } else if (e instanceof MemslotEvent.DirtyBitmapFreed) {
            f.loggingOn = null;
            f.unreported.clear(); // logging is off: what the bitmap held is never reported
        } else if (e instanceof MemslotEvent.SpteChanged c) {
            if (c.spte().writable()) {
                f.lostWrite.remove(c.gfn());
            } else if (c.old() != null && c.old().writable()) {
                f.lostWrite.put(c.gfn(), link);
            }
        } else if (e instanceof MemslotEvent.SptesAccessTracked a) {
            a.gfns().forEach(g -> f.lostWrite.putIfAbsent(g, link));
        } else if (e instanceof MemslotEvent.SptesZapped z) {
            z.gfns().forEach(g -> f.lostWrite.put(g, link));
        } else if (e instanceof MemslotEvent.SlotWriteProtected w) {
            w.changed().forEach(g -> f.lostWrite.put(g, link));
            if (f.geometry != null) {
                protectedThisStep.add(new Protected(vm, slot, f.geometry.baseGfn(), f.geometry.npages(), null, link));
            }
        } else if (e instanceof MemslotEvent.DirtyLogReported r) {
            for (var it = f.unreported.entrySet().iterator(); it.hasNext(); ) {
                var w = it.next();
                if (!r.pages().contains(w.getKey())) {
                    List<ChainLink> chain = new ArrayList<>(w.getValue());
                    chain.add(link);
                    chain.sort(java.util.Comparator.comparingInt(ChainLink::line));
                    reporter.report(Invariant.DIRTY_LOG_COMPLETENESS, entity, link.line(),
                            "page " + w.getKey() + " " + w.getValue().get(w.getValue().size() - 1), chain);
                }
                it.remove();
            }
            if (r.cleared()) {
                r.reprotected().forEach(g -> f.lostWrite.put(g, link));
                protectedThisStep.add(new Protected(vm, slot, 0, 0, gfnsOf(f, r.pages()), link));
            }
        } else if (e instanceof MemslotEvent.GfnsWriteProtected w) {
            w.changed().forEach(g -> f.lostWrite.put(g, link));
            protectedThisStep.add(new Protected(vm, slot, 0, 0, new java.util.HashSet<>(w.gfns()), link));
        } else if (e instanceof MemslotEvent.DirtyLogCleared c) {
            c.pages().forEach(f.unreported::remove); // userspace took these bits: the writes are accounted for
            c.reprotected().forEach(g -> f.lostWrite.put(g, link));
            protectedThisStep.add(new Protected(vm, slot, 0, 0, gfnsOf(f, c.pages()), link));
        }
    }

    void vcpuEvent(EntityId entity, VcpuEvent e, ChainLink link) {
        String vm = vmOf(entity);
        long id = Long.parseLong(entity.key().substring(entity.key().lastIndexOf('/') + 1));
        VcpuFacts v = vcpus.computeIfAbsent(vm, k -> new LinkedHashMap<>()).computeIfAbsent(id, k -> new VcpuFacts());
        if (e instanceof VcpuEvent.TlbFilled f) {
            if (f.writable()) {
                v.writable.put(f.gfn(), link);
            } else {
                v.writable.remove(f.gfn());
            }
        } else if (e instanceof VcpuEvent.TlbFlushed) {
            v.writable.clear();
            v.flushPending = false;
        } else if (e instanceof VcpuEvent.TlbFlushDeferred) {
            v.flushPending = true;
        } else if (e instanceof VcpuEvent.DirtyRingAllocated) {
            rings.computeIfAbsent(vm, k -> new RingFacts()).allocated.put(id, link);
        } else if (e instanceof VcpuEvent.DirtyRingPushed p) {
            RingFacts r = rings.computeIfAbsent(vm, k -> new RingFacts());
            RingPage page = new RingPage(p.slot(), p.offset());
            r.outstanding.merge(page, 1, Integer::sum);
            r.unaccounted.remove(page); // the page will be harvested: the earlier write goes with it
        } else if (e instanceof VcpuEvent.DirtyRingReset reset) {
            RingFacts r = rings.computeIfAbsent(vm, k -> new RingFacts());
            reset.gfns().forEach(g -> r.outstanding.computeIfPresent(new RingPage(g.slot(), g.offset()),
                    (k, n) -> n == 1 ? null : n - 1));
            reportUnaccounted(vm, r, link);
        } else if (e instanceof VcpuEvent.GuestAccessed a && a.kind() == GuestAccessKind.WRITE
                && a.exit() == GuestExit.NONE && a.slot() >= 0 && rings.containsKey(vm)
                && rings.get(vm).allocated.containsKey(id)) {
            ringWrite(vm, id, v, a, link);
        } else if (e instanceof VcpuEvent.GuestAccessed a && a.kind() == GuestAccessKind.WRITE
                && a.exit() == GuestExit.NONE && a.slot() >= 0) {
            SlotFacts f = slots.getOrDefault(vm, Map.of()).get(a.slot());
            if (f == null || f.loggingOn == null || f.geometry == null) {
                return;
            }
            long gfn = Pages.pageOf(a.gpa());
            long page = gfn - f.geometry.baseGfn();
            if (!f.unreported.containsKey(page)) {
                f.unreported.put(page, writeChain(f.loggingOn, f, v, gfn, a, link));
            }
        }
    }

    // mark_page_dirty_in_slot() with a ring: the write is accounted for if an entry of its page is in a
    // ring and not yet reset (the VMM copies the page after it harvests and resets that entry)
    private void ringWrite(String vm, long vcpu, VcpuFacts v, VcpuEvent.GuestAccessed a, ChainLink link) {
        SlotFacts f = slots.getOrDefault(vm, Map.of()).get(a.slot());
        if (f == null || f.geometry == null || !f.geometry.logsDirtyPages()) {
            return;
        }
        RingFacts r = rings.get(vm);
        long gfn = Pages.pageOf(a.gpa());
        RingPage page = new RingPage(a.slot(), gfn - f.geometry.baseGfn());
        if (r.outstanding.containsKey(page) || r.unaccounted.containsKey(page)) {
            return;
        }
        r.unaccounted.put(page, writeChain(r.allocated.get(vcpu), f, v, gfn, a, link));
    }

    // the chain behind a logged write: what started the logging, the stale translation a TLB hit went
    // through and what took its SPTE's W away, then the write
    private static List<ChainLink> writeChain(ChainLink loggingStarted, SlotFacts f, VcpuFacts v, long gfn,
            VcpuEvent.GuestAccessed a, ChainLink write) {
        List<ChainLink> chain = new ArrayList<>();
        chain.add(loggingStarted);
        ChainLink fill = v.writable.get(gfn);
        ChainLink lost = f.lostWrite.get(gfn);
        if (Boolean.TRUE.equals(a.tlbHit()) && fill != null) {
            chain.add(fill);
            if (lost != null) {
                chain.add(lost);
            }
        }
        chain.add(write);
        return chain;
    }

    // a reset re-protects what was harvested: a write no entry holds is never harvested now
    private void reportUnaccounted(String vm, RingFacts r, ChainLink reset) {
        for (Map.Entry<RingPage, List<ChainLink>> w : r.unaccounted.entrySet()) {
            List<ChainLink> chain = new ArrayList<>(w.getValue());
            chain.add(reset);
            chain.sort(java.util.Comparator.comparingInt(ChainLink::line));
            reporter.report(Invariant.DIRTY_LOG_COMPLETENESS, EntityId.slot(vm, w.getKey().slot()), reset.line(),
                    "page " + w.getKey().offset() + " " + w.getValue().get(w.getValue().size() - 1)
                            + " is in no dirty ring", chain);
        }
        r.unaccounted.clear();
    }

    private void forgetRingWrites(String vm, long slot) {
        RingFacts r = rings.get(vm);
        if (r != null) {
            r.unaccounted.keySet().removeIf(p -> p.slot() == slot);
        }
    }

    /** The step of {@code line} returned to userspace: every gfn it write-protected must be flushed everywhere. */
    void endStep(int line) {
        for (Protected p : protectedThisStep) {
            for (Map.Entry<Long, VcpuFacts> v : vcpus.getOrDefault(p.vm(), Map.of()).entrySet()) {
                if (v.getValue().flushPending) {
                    continue;
                }
                SlotFacts f = slots.getOrDefault(p.vm(), Map.of()).get(p.slot());
                for (Map.Entry<Long, ChainLink> entry : new TreeMap<>(v.getValue().writable).entrySet()) {
                    long gfn = entry.getKey();
                    ChainLink fill = entry.getValue();
                    if (!p.covers(gfn)) {
                        continue;
                    }
                    List<ChainLink> chain = new ArrayList<>();
                    chain.add(fill);
                    ChainLink lost = f == null ? null : f.lostWrite.get(gfn);
                    if (lost != null && lost != p.link()) {
                        chain.add(lost);
                    }
                    chain.add(p.link());
                    reporter.report(Invariant.STALE_WRITABLE_TLB, EntityId.vcpu(p.vm(), v.getKey()), line,
                            "gfn " + gfn + " " + p.link(), chain);
                }
            }
        }
        protectedThisStep.clear();
    }

    private static java.util.Set<Long> gfnsOf(SlotFacts f, List<Long> pages) {
        java.util.Set<Long> out = new java.util.HashSet<>(); // asked for membership only (Protected.covers)
        if (f.geometry != null) {
            pages.forEach(p -> out.add(f.geometry.baseGfn() + p));
        }
        return out;
    }

    private static String vmOf(EntityId entity) {
        return entity.key().substring(0, entity.key().lastIndexOf('/'));
    }

}
