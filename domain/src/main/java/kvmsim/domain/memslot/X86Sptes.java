package kvmsim.domain.memslot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.Decision;
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
        Spte fixed = old == null ? null : old.fastPageFault(f.write(), f.adBits());
        return fixed == null ? Decision.ok() : setSpte(s, f.gfn(), fixed);
    }

    // make_spte(): W (and MMU-writable) only with ACC_WRITE_MASK in pte_access and a writable pfn
    static Decision makeSpte(MemslotState s, MakeSpte m) {
        return setSpte(s, m.gfn(), Spte.make(m.accWrite(), m.hostWritable() && !s.geometry().readonly()));
    }

    // an SPTE that becomes writable in a logged slot marks its gfn dirty in the same step
    // (handle_changed_spte_dirty_log(), mark_page_dirty_in_slot())
    private static Decision setSpte(MemslotState s, long gfn, Spte spte) {
        if (!s.present() || !s.geometry().containsGfn(gfn)) {
            throw new IllegalArgumentException("gfn " + gfn + " is not in slot " + s.slot());
        }
        Spte old = s.spte(gfn);
        if (spte.equals(old)) {
            return Decision.ok();
        }
        boolean grant = spte.writable() && (old == null || !old.writable());
        return Decision.accept(new SpteChanged(gfn, old, spte, grant && s.dirtyTracked()));
    }

    // kvm_age_gfn() -> mark_spte_for_access_track() on every present, not yet tracked SPTE; no flush
    static Decision accessTrack(MemslotState s, AccessTrackGfnRange a) {
        List<Long> gfns = new ArrayList<>();
        for (Map.Entry<Long, Spte> e : inRange(s, a.firstGfn(), a.count()).entrySet()) {
            if (!e.getValue().accessTracked()) {
                gfns.add(e.getKey());
            }
        }
        return gfns.isEmpty() ? Decision.ok() : Decision.accept(new SptesAccessTracked(gfns));
    }

    static Decision zap(MemslotState s, ZapGfnRange z) {
        List<Long> gfns = new ArrayList<>(inRange(s, z.firstGfn(), z.count()).keySet());
        return gfns.isEmpty() ? Decision.ok() : Decision.accept(new SptesZapped(gfns));
    }

    // kvm_mmu_slot_remove_write_access(): recorded even when no SPTE had W, which is the case b64d740 is about
    static Decision removeWriteAccess(MemslotState s) {
        return Decision.accept(new SlotWriteProtected(writableAmong(s, new ArrayList<>(s.sptes().keySet()))));
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
        return Decision.accept(new DirtyLogCleared(cleared, writableAmong(s, gfnsOf(s, cleared))));
    }

    // kvm_arch_mmu_enable_log_dirty_pt_masked() -> kvm_mmu_write_protect_pt_masked() (or the TDP MMU's
    // clear_dirty_pt_masked() with write-protection, as without PML): 4K SPTEs only in kvmsim
    static Decision enableLogDirtyPtMasked(MemslotState s, EnableLogDirtyPtMasked m) {
        List<Long> gfns = new ArrayList<>();
        for (long mask = m.mask(); mask != 0; mask &= mask - 1) {
            gfns.add(s.geometry().baseGfn() + m.offset() + Long.numberOfTrailingZeros(mask));
        }
        return Decision.accept(new GfnsWriteProtected(gfns, writableAmong(s, gfns)));
    }

    static MemslotState spteChanged(MemslotState s, SpteChanged c) {
        TreePMap<Long, Spte> sptes = s.spteMap().plus(c.gfn(), c.spte());
        DirtyBitmap bitmap = c.markedDirty() ? s.dirtyBitmap().set(c.gfn() - s.geometry().baseGfn()) : s.dirtyBitmap();
        return s.withSptes(sptes, bitmap);
    }

    static MemslotState accessTracked(MemslotState s, SptesAccessTracked a) {
        TreePMap<Long, Spte> sptes = s.spteMap();
        for (long g : a.gfns()) {
            sptes = sptes.plus(g, sptes.get(g).markForAccessTrack());
        }
        return s.withSptes(sptes, s.dirtyBitmap());
    }

    static MemslotState zapped(MemslotState s, SptesZapped z) {
        return s.withSptes(s.spteMap().minusAll(z.gfns()), s.dirtyBitmap());
    }

    static MemslotState writeProtected(MemslotState s, List<Long> gfns, DirtyBitmap bitmap) {
        TreePMap<Long, Spte> sptes = s.spteMap();
        for (long g : gfns) {
            sptes = sptes.plus(g, sptes.get(g).writeProtected());
        }
        return s.withSptes(sptes, bitmap);
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

    private static Map<Long, Spte> inRange(MemslotState s, long first, long count) {
        return s.sptesIn(first, count);
    }

    private static List<Long> gfnsOf(MemslotState s, List<Long> pages) {
        List<Long> gfns = new ArrayList<>();
        for (long p : pages) {
            gfns.add(s.geometry().baseGfn() + p);
        }
        return gfns;
    }

    /** Of these gfns, those whose SPTE has W: what a write-protect actually changes. */
    private static List<Long> writableAmong(MemslotState s, List<Long> gfns) {
        List<Long> out = new ArrayList<>();
        for (long g : new java.util.TreeSet<>(gfns)) {
            Spte spte = s.spte(g);
            if (spte != null && spte.writable()) {
                out.add(g);
            }
        }
        return out;
    }
}
