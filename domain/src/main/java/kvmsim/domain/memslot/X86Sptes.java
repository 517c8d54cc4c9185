package kvmsim.domain.memslot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.PageLevel;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.Event;
import kvmsim.domain.memslot.MemslotCommand.*;
import kvmsim.domain.memslot.MemslotEvent.*;
import org.pcollections.TreePMap;

/** The x86 half of the memslot decider: the slot's SPTEs and its dirty bitmap, changed together. */
final class X86Sptes {

    private X86Sptes() {
    }

    // fast_page_fault(): fast_pf_fix_direct_spte() installs the fixed SPTE with a cmpxchg
    static Decision fastPageFault(MemslotState s, FastPageFault f) {
        Spte old = s.spte(f.gfn());
        Spte fixed = old == null ? null : old.fastPageFault(f.write(), f.adBits(), s.geometry().logsDirtyPages());
        return fixed == null ? Decision.ok() : setSpte(s, f.gfn(), fixed);
    }

    // make_spte(): W (and MMU-writable) only with ACC_WRITE_MASK in pte_access and a writable pfn; a 4K
    // SPTE under a huge one first splits it (kvm_tdp_mmu_map() -> tdp_mmu_split_huge_page()), and a huge
    // one replaces the page table of its frame (tdp_mmu_map_handle_target_level())
    static Decision makeSpte(MemslotState s, MakeSpte m) {
        Spte spte = Spte.make(m.accWrite(), m.hostWritable() && !s.geometry().readonly(), m.level());
        List<Event> events = new ArrayList<>();
        MemslotState cur = s;
        // kvm_tdp_mmu_map() walks down to the goal level, splitting each huge SPTE on the way one level
        for (Spte old = cur.spte(m.gfn()); old != null && old.level().compareTo(spte.level()) > 0;
                old = cur.spte(m.gfn())) {
            List<Long> frame = List.of(old.level().alignDown(m.gfn()));
            events.add(new HugeSptesSplit(frame));
            cur = split(cur, frame);
        }
        if (events.isEmpty()) {
            return setSpte(s, m.gfn(), spte);
        }
        events.addAll(setSpte(cur, m.gfn(), spte).events());
        return Decision.accept(events);
    }

    // an SPTE that becomes writable in a logged slot marks its gfn dirty in the same step
    // (handle_changed_spte_dirty_log(), mark_page_dirty_in_slot())
    private static Decision setSpte(MemslotState s, long gfn, Spte spte) {
        if (!s.present() || !s.geometry().containsGfn(gfn)) {
            throw new IllegalArgumentException("gfn " + gfn + " is not in slot " + s.slot());
        }
        if (spte.huge()) {
            // make_spte(): WARN_ON(level > PG_LEVEL_4K && (pte_access & ACC_WRITE_MASK) && slot logs)
            if (spte.writable() && s.geometry().logsDirtyPages()) {
                throw new IllegalStateException("a writable huge SPTE in slot " + s.slot() + ", which logs");
            }
            gfn = spte.level().alignDown(gfn);
        }
        Spte old = s.spte(gfn);
        if (spte.equals(old)) {
            return Decision.ok();
        }
        boolean grant = spte.writable() && (old == null || !old.writable());
        return Decision.accept(new SpteChanged(gfn, old, spte, grant && s.dirtyTracked() && !spte.huge()));
    }

    // kvm_age_gfn() -> mark_spte_for_access_track() on every present, not yet tracked SPTE; no flush
    static Decision accessTrack(MemslotState s, AccessTrackGfnRange a) {
        List<Long> gfns = new ArrayList<>();
        for (long g : inRange(s, a.firstGfn(), a.count())) {
            if (!s.spte(g).accessTracked()) {
                gfns.add(g);
            }
        }
        return gfns.isEmpty() ? Decision.ok() : Decision.accept(new SptesAccessTracked(gfns));
    }

    static Decision zap(MemslotState s, ZapGfnRange z) {
        List<Long> gfns = inRange(s, z.firstGfn(), z.count());
        return gfns.isEmpty() ? Decision.ok() : Decision.accept(new SptesZapped(gfns));
    }

    // kvm_mmu_slot_remove_write_access(): recorded even when no SPTE had W, which is the case b64d740 is about;
    // PG_LEVEL_4K as min_level write-protects huge SPTEs too, so a write to one faults and maps 4K.
    // kvm_mmu_slot_try_split_huge_pages() runs first when eager_page_split is on (the caller says)
    static Decision removeWriteAccess(MemslotState s, RemoveWriteAccess r) {
        List<Event> events = new ArrayList<>();
        if (r.eagerSplit()) {
            splitDownTo4K(s, s.geometry().baseGfn(), s.npages(), events);
        }
        // splitting keeps W: the same gfns lose it either way
        events.add(new SlotWriteProtected(writableAmong(s, s.mappedGfns(s.geometry().baseGfn(), s.npages()), true)));
        return Decision.accept(events);
    }

    // kvm_tdp_mmu_recover_huge_pages() -> recover_huge_pages_range(): a frame mapped through a page table
    // (not by a huge leaf) that may be mapped at its level gets make_huge_spte() of its first present leaf;
    // 1G frames are visited before the 2M frames inside them
    static Decision recoverHugePages(MemslotState s, RecoverHugePages r) {
        List<Event> events = new ArrayList<>();
        MemslotState cur = s;
        for (PageLevel level : List.of(PageLevel.PG_LEVEL_1G, PageLevel.PG_LEVEL_2M)) {
            long base = s.geometry().baseGfn();
            long end = base + s.npages();
            for (long frame : framesWithSptes(cur, level)) {
                if (frame < base || frame + level.pages() > end) {
                    continue; // "the page for the current level overlaps but is not contained by the slot"
                }
                PageLevel max = r.maxLevels().get(frame);
                Map<Long, Spte> inFrame = cur.sptesIn(frame, level.pages());
                Spte first = inFrame.values().iterator().next();
                if (max == null || max.compareTo(level) < 0 || first.level().compareTo(level) >= 0) {
                    continue; // no huge page allowed here, or already a leaf of this level
                }
                SpteChanged c = new SpteChanged(frame, cur.spte(frame), first.huge(level), false);
                events.add(c);
                cur = spteChanged(cur, c);
            }
        }
        return events.isEmpty() ? Decision.ok() : Decision.accept(events);
    }

    /**
     * The first gfns of the frames of {@code level} that hold the first gfn of an SPTE, in order: a
     * frame inside a larger leaf is not one (that leaf is of the level or above already).
     */
    private static List<Long> framesWithSptes(MemslotState s, PageLevel level) {
        TreeSet<Long> frames = new TreeSet<>();
        for (long g : s.sptes().keySet()) {
            frames.add(level.alignDown(g));
        }
        return new ArrayList<>(frames);
    }

    /**
     * kvm_tdp_mmu_try_split_huge_pages(..., PG_LEVEL_4K) over [first, first + count): each huge SPTE that
     * overlaps the range is split one level at a time until only 4K SPTEs overlap it (a 1G SPTE's 2M
     * children outside the range stay 2M). Adds one HugeSptesSplit per level and returns the state after.
     */
    private static MemslotState splitDownTo4K(MemslotState s, long first, long count, List<Event> events) {
        MemslotState cur = s;
        for (List<Long> frames = hugeFrames(cur, first, count); !frames.isEmpty();
                frames = hugeFrames(cur, first, count)) {
            events.add(new HugeSptesSplit(frames));
            cur = split(cur, frames);
        }
        return cur;
    }

    /** The first gfns of the huge SPTEs' frames that overlap [first, first + count), in order. */
    private static List<Long> hugeFrames(MemslotState s, long first, long count) {
        TreeSet<Long> frames = new TreeSet<>();
        for (Map.Entry<Long, Spte> e : s.sptesIn(first, count).entrySet()) {
            if (e.getValue().huge()) {
                frames.add(e.getValue().level().alignDown(e.getKey()));
            }
        }
        return new ArrayList<>(frames);
    }

    // kvm_get_dirty_log_protect(): ENOENT without a bitmap; manual protect only copies it
    static Decision getDirtyLog(MemslotState s, GetDirtyLog g) {
        if (!s.present() || !s.dirtyTracked()) {
            return Decision.reject(Errno.ENOENT);
        }
        List<Long> pages = s.dirtyBitmap().pages();
        if (g.manualProtect()) {
            return Decision.accept(new DirtyLogReported(pages, false, List.of()));
        }
        // xchg each word to 0, then kvm_arch_mmu_enable_log_dirty_pt_masked() write-protects those gfns
        return Decision.accept(new DirtyLogReported(pages, true, writableAmong(s, gfnsOf(s, pages))));
    }

    // kvm_clear_dirty_log_protect() from the memslot lookup on: ENOENT, then the range checks
    static Decision clearDirtyLog(MemslotState s, ClearDirtyLog c) {
        if (!s.present() || !s.dirtyTracked()) {
            return Decision.reject(Errno.ENOENT);
        }
        long npages = s.npages();
        if (Long.compareUnsigned(c.firstPage(), npages) > 0
                || Long.compareUnsigned(c.numPages(), npages - c.firstPage()) > 0
                || (Long.compareUnsigned(c.numPages(), npages - c.firstPage()) < 0 && (c.numPages() & 63) != 0)) {
            return Decision.reject(Errno.EINVAL);
        }
        // mask &= atomic_long_fetch_andnot(mask, p): only bits that were set count as cleared
        List<Long> cleared = new ArrayList<>();
        if (c.pages() == null) {
            cleared.addAll(s.dirtyBitmap().pagesIn(c.firstPage(), c.numPages()));
        } else {
            for (long p : new java.util.TreeSet<>(c.pages())) {
                if (Long.compareUnsigned(p - c.firstPage(), c.numPages()) < 0 && s.dirtyBitmap().isSet(p)) {
                    cleared.add(p);
                }
            }
        }
        if (cleared.isEmpty()) {
            return Decision.ok();
        }
        // one kvm_arch_mmu_enable_log_dirty_pt_masked() per 64-page word that had bits cleared
        TreeMap<Long, List<Long>> words = new TreeMap<>();
        for (long p : cleared) {
            words.computeIfAbsent(p >>> 6, w -> new ArrayList<>()).add(s.geometry().baseGfn() + p);
        }
        List<Event> events = new ArrayList<>();
        MemslotState cur = lazyHugeProtect(s, c.huge(), words.values(), events);
        events.add(new DirtyLogCleared(cleared, writableAmong(cur, gfnsOf(s, cleared))));
        return Decision.accept(events);
    }

    // kvm_arch_mmu_enable_log_dirty_pt_masked() -> kvm_mmu_write_protect_pt_masked() (or the TDP MMU's
    // clear_dirty_pt_masked() with write-protection, as without PML), after the INITIALLY_SET huge-page step
    static Decision enableLogDirtyPtMasked(MemslotState s, EnableLogDirtyPtMasked m) {
        List<Long> gfns = new ArrayList<>();
        for (long mask = m.mask(); mask != 0; mask &= mask - 1) {
            gfns.add(s.geometry().baseGfn() + m.offset() + Long.numberOfTrailingZeros(mask));
        }
        List<Event> events = new ArrayList<>();
        MemslotState cur = lazyHugeProtect(s, m.huge(), List.of(gfns), events);
        events.add(new GfnsWriteProtected(gfns, writableAmong(cur, gfns)));
        return Decision.accept(events);
    }

    /**
     * The kvm_dirty_log_manual_protect_and_init_set() branch of kvm_arch_mmu_enable_log_dirty_pt_masked()
     * for each word's gfns (ascending): with eager_page_split kvm_mmu_try_split_huge_pages(start, end + 1);
     * then kvm_mmu_slot_gfn_write_protect(start, PG_LEVEL_2M), and at end too when
     * ALIGN(start << PAGE_SHIFT, PMD_SIZE) != ALIGN(end << PAGE_SHIFT, PMD_SIZE). Adds the events and
     * returns the state they leave.
     */
    private static MemslotState lazyHugeProtect(MemslotState s, LazyHugeProtect how, java.util.Collection<List<Long>> words,
            List<Event> events) {
        if (how == null || how == LazyHugeProtect.NONE) {
            return s;
        }
        TreeSet<Long> protect = new TreeSet<>();
        MemslotState cur = s;
        for (List<Long> gfns : words) {
            long start = gfns.get(0);
            long end = gfns.get(gfns.size() - 1);
            if (how == LazyHugeProtect.SPLIT) {
                cur = splitDownTo4K(cur, start, end + 1 - start, events);
            }
            List<Long> at = new ArrayList<>(List.of(start));
            if (alignUp2M(start) != alignUp2M(end)) {
                at.add(end);
            }
            for (long g : at) {
                Spte spte = cur.spte(g);
                if (spte != null && spte.huge() && !spte.equals(spte.ptProtected())) {
                    long frame = spte.level().alignDown(g);
                    protect.add(frame);
                    cur = ptProtected(cur, List.of(frame));
                }
            }
        }
        if (!protect.isEmpty()) {
            events.add(new HugeSptesWriteProtected(new ArrayList<>(protect)));
        }
        return cur;
    }

    // ALIGN(gfn << PAGE_SHIFT, PMD_SIZE), in pages
    private static long alignUp2M(long gfn) {
        long pages = PageLevel.PG_LEVEL_2M.pages();
        return (gfn + pages - 1) & -pages;
    }

    static MemslotState spteChanged(MemslotState s, SpteChanged c) {
        TreePMap<Long, Spte> sptes = s.spteMap();
        if (c.spte().huge()) {
            // one huge SPTE for its frame: it replaces whatever the frame held (the page table under it)
            long frame = c.spte().level().alignDown(c.gfn());
            return s.withSptes(replaceFrame(sptes, frame, c.spte().level().pages(), Map.of(frame, c.spte())),
                    s.dirtyBitmap());
        }
        Map.Entry<Long, Spte> under = s.leafOf(c.gfn());
        if (under != null && under.getValue().huge()) {
            // make_spte() at 4K under a huge leaf goes through a split first (makeSpte): leaves never overlap
            throw new IllegalStateException("a 4K SPTE at gfn " + c.gfn() + " under the huge SPTE of gfn " + under.getKey());
        }
        sptes = sptes.plus(c.gfn(), c.spte());
        DirtyBitmap bitmap = c.markedDirty() ? s.dirtyBitmap().set(c.gfn() - s.geometry().baseGfn()) : s.dirtyBitmap();
        return s.withSptes(sptes, bitmap);
    }

    static MemslotState accessTracked(MemslotState s, SptesAccessTracked a) {
        return s.withSptes(overLeaves(s, a.gfns(), Spte::markForAccessTrack), s.dirtyBitmap());
    }

    static MemslotState split(MemslotState s, List<Long> frames) {
        return overFrames(s, frames, Spte::split);
    }

    static MemslotState ptProtected(MemslotState s, List<Long> frames) {
        return overFrames(s, frames, Spte::ptProtected);
    }

    // the huge SPTE of each frame changed as given: a split gives one leaf per child frame of the
    // level below, anything else one leaf for the frame
    private static MemslotState overFrames(MemslotState s, List<Long> frames, java.util.function.UnaryOperator<Spte> f) {
        TreePMap<Long, Spte> sptes = s.spteMap();
        for (long frame : frames) {
            Spte huge = s.spte(frame);
            Spte to = f.apply(huge);
            long step = to.level().pages();
            Map<Long, Spte> leaves = new java.util.HashMap<>();
            for (long g = frame; g < frame + huge.level().pages(); g += step) {
                leaves.put(g, to);
            }
            sptes = replaceFrame(sptes, frame, huge.level().pages(), leaves);
        }
        return s.withSptes(sptes, s.dirtyBitmap());
    }

    // the leaves of [frame, frame + pages) replaced by {@code leaves}
    private static TreePMap<Long, Spte> replaceFrame(TreePMap<Long, Spte> sptes, long frame, long pages,
            Map<Long, Spte> leaves) {
        return sptes.minusAll(new ArrayList<>(sptes.subMap(frame, frame + pages).keySet())).plusAll(leaves);
    }

    // {@code f} applied once to each leaf that maps one of {@code gfns} (the events list a huge leaf's gfns:
    // the ones after the first that fall in the huge leaf last found are not looked up again, 262,143 for a
    // 1G leaf; a state stored per 4K gfn, whose frame's next gfn has an entry of its own, is looked up gfn by gfn)
    private static TreePMap<Long, Spte> overLeaves(MemslotState s, List<Long> gfns,
            java.util.function.UnaryOperator<Spte> f) {
        Map<Long, Spte> changed = new java.util.HashMap<>();
        long leafFirst = 0;
        long leafEnd = 0; // the frame of the leaf last found, [leafFirst, leafEnd)
        for (long g : gfns) {
            if (g >= leafFirst && g < leafEnd) {
                continue;
            }
            Map.Entry<Long, Spte> leaf = s.leafOf(g);
            Spte spte = leaf.getValue();
            boolean storedOnce = spte.huge() && !s.sptes().containsKey(leaf.getKey() + 1);
            leafFirst = storedOnce ? leaf.getKey() : 0;
            leafEnd = storedOnce ? leaf.getKey() + spte.level().pages() : 0;
            changed.putIfAbsent(leaf.getKey(), f.apply(spte));
        }
        return s.spteMap().plusAll(changed);
    }

    static MemslotState zapped(MemslotState s, SptesZapped z) {
        return s.withSptes(s.spteMap().minusAll(z.gfns()), s.dirtyBitmap());
    }

    static MemslotState writeProtected(MemslotState s, List<Long> gfns, DirtyBitmap bitmap) {
        return s.withSptes(overLeaves(s, gfns, Spte::writeProtected), bitmap);
    }

    static MemslotState logReported(MemslotState s, DirtyLogReported r) {
        return writeProtected(s, r.reprotected(), r.cleared() ? s.dirtyBitmap().clear(r.pages()) : s.dirtyBitmap());
    }

    static MemslotState logCleared(MemslotState s, DirtyLogCleared c) {
        return writeProtected(s, c.reprotected(), s.dirtyBitmap().clear(c.pages()));
    }

    static MemslotState markedDirty(MemslotState s, PageMarkedDirty m) {
        return s.withSptes(s.sptes(), s.dirtyBitmap().set(m.gfn() - s.geometry().baseGfn()));
    }

    // the mapped 4K gfns of the range, the whole of a huge SPTE that overlaps it: such an SPTE is aged
    // or zapped whole (tdp_mmu_zap_leafs(), kvm_age_gfn())
    private static List<Long> inRange(MemslotState s, long first, long count) {
        if (count == 0) {
            return List.of();
        }
        long from = first;
        long to = first + count;
        Spte head = s.spte(first);
        if (head != null && head.huge()) {
            from = head.level().alignDown(first);
        }
        Spte tail = s.spte(to - 1);
        if (tail != null && tail.huge()) {
            to = tail.level().alignDown(to - 1) + tail.level().pages();
        }
        return s.mappedGfns(from, to - from);
    }

    private static List<Long> gfnsOf(MemslotState s, List<Long> pages) {
        List<Long> gfns = new ArrayList<>();
        for (long p : pages) {
            gfns.add(s.geometry().baseGfn() + p);
        }
        return gfns;
    }

    /**
     * Of these gfns, those whose SPTE has W: what a write-protect actually changes. The 4K write-protect
     * of a dirty-log word (kvm_mmu_write_protect_pt_masked() walks 4K rmaps; the TDP MMU's
     * clear_dirty_pt_masked() skips iter.level > PG_LEVEL_4K) leaves huge SPTEs alone; the whole-slot one
     * (SlotWriteProtected) takes every level.
     */
    private static List<Long> writableAmong(MemslotState s, List<Long> gfns) {
        return writableAmong(s, gfns, false);
    }

    private static List<Long> writableAmong(MemslotState s, List<Long> gfns, boolean hugeToo) {
        List<Long> out = new ArrayList<>();
        for (long g : new java.util.TreeSet<>(gfns)) {
            Spte spte = s.spte(g);
            if (spte != null && spte.writable() && (hugeToo || !spte.huge())) {
                out.add(g);
            }
        }
        return out;
    }
}
