package kvmsim.domain.memslot;

import java.util.Map;
import java.util.SortedMap;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.StateMaps;
import org.pcollections.TreePMap;

/**
 * struct kvm_memory_slot and what hangs off it: the arm64 lock (memslot->arch.flags, whose pinned
 * pages are exactly the slot's pages) and the stage-2 leaves mapping the slot's gfns; on x86 the
 * SPTEs mapping them and the dirty bitmap.
 *
 * @param stage2 arm64: the stage-2 leaves of the slot's gfns, by gfn (persistent: see StateMaps)
 * @param sptes x86: the shadow-present leaf SPTEs of the slot, by the first gfn each maps (persistent):
 *     a huge SPTE is one entry under its frame's first gfn, as it is one PTE in the kernel's table
 *     (a 1G SPTE is not 262,144 entries). Leaves never overlap. A state written before this (one
 *     entry per 4K gfn) reads the same through {@link #spte} and is made compact frame by frame as
 *     its huge SPTEs change
 * @param dirtyBitmap x86: memslot->dirty_bitmap, allocated while KVM_MEM_LOG_DIRTY_PAGES is set; else null
 */
public record MemslotState(String vm, long slot, boolean present, SlotGeometry geometry, LockMode lock,
        Map<Long, Stage2Pte> stage2, Map<Long, Spte> sptes, DirtyBitmap dirtyBitmap) implements EntityState {

    @Override
    public EntityId.Kind kind() {
        return EntityId.Kind.SLOT;
    }

    public MemslotState {
        stage2 = StateMaps.sorted(stage2);
        sptes = StateMaps.sorted(sptes);
    }

    public static MemslotState initial(String vm, long slot) {
        return new MemslotState(vm, slot, false, null, null, Map.of(), Map.of(), null);
    }

    public boolean locked() {
        return lock != null;
    }

    public long npages() {
        return geometry == null ? 0 : geometry.npages();
    }

    public long hva() {
        return geometry.hva();
    }

    public Stage2Pte pte(long gfn) {
        return stage2.get(gfn);
    }

    /**
     * This state with each huge SPTE under its frame's first gfn only: a snapshot written when a huge
     * SPTE was stored under every 4K gfn of its frame reads as the journal's events fold it now, so
     * that a recovered entity and the journal folded again agree. O(n); this state if already so.
     */
    public MemslotState compacted() {
        java.util.List<Long> repeats = new java.util.ArrayList<>();
        for (Map.Entry<Long, Spte> e : spteMap().entrySet()) {
            if (e.getValue().huge() && e.getValue().level().alignDown(e.getKey()) != e.getKey()) {
                repeats.add(e.getKey());
            }
        }
        return repeats.isEmpty() ? this : withSptes(spteMap().minusAll(repeats), dirtyBitmap);
    }

    /** The SPTE that maps {@code gfn}: its own 4K one, or the huge one whose frame holds it; null if none. */
    public Spte spte(long gfn) {
        // every guest access asks: the leaf's own entry first, without making an entry object
        Spte own = sptes.get(gfn);
        if (own != null) {
            return own;
        }
        Map.Entry<Long, Spte> below = hugeBelow(gfn);
        return below == null ? null : below.getValue();
    }

    /** The leaf that maps {@code gfn}, keyed by the first gfn it maps; null if none. */
    Map.Entry<Long, Spte> leafOf(long gfn) {
        Spte own = sptes.get(gfn);
        return own != null ? Map.entry(gfn, own) : hugeBelow(gfn);
    }

    // the huge leaf stored below {@code gfn} whose frame holds it, if any (gfn has no entry of its own)
    private Map.Entry<Long, Spte> hugeBelow(long gfn) {
        Map.Entry<Long, Spte> below = spteMap().floorEntry(gfn);
        // the frame of the leaf, not its key: in a state stored per 4K gfn the leaf below is a frame's last gfn
        return below != null && below.getValue().huge()
                && gfn - below.getValue().level().alignDown(below.getKey()) < below.getValue().level().pages() ? below : null;
    }

    /**
     * The leaves that map any gfn of [first, first + count), in gfn order, each under the first gfn it
     * maps (a huge one may start before {@code first}): a view over the stored leaves, O(log n) to
     * make, or a copy of them when a huge leaf starts before {@code first}.
     */
    public SortedMap<Long, Spte> sptesIn(long first, long count) {
        SortedMap<Long, Spte> within = spteMap().subMap(first, first + count);
        Map.Entry<Long, Spte> head = count == 0 ? null : leafOf(first);
        if (head == null || head.getKey() == first) {
            return within;
        }
        java.util.TreeMap<Long, Spte> out = new java.util.TreeMap<>(within);
        out.put(head.getKey(), head.getValue());
        return out;
    }

    /** Every 4K gfn of [first, first + count) that a leaf maps, in order: how the events list them. */
    public java.util.List<Long> mappedGfns(long first, long count) {
        java.util.List<Long> out = new java.util.ArrayList<>();
        long end = first + count;
        long next = first; // past the last gfn listed (a state stored one entry per 4K gfn repeats huge leaves)
        for (Map.Entry<Long, Spte> e : sptesIn(first, count).entrySet()) {
            long to = Math.min(end, e.getValue().level().alignDown(e.getKey()) + e.getValue().level().pages());
            for (long g = Math.max(next, e.getKey()); g < to; g++) {
                out.add(g);
            }
            next = Math.max(next, to);
        }
        return out;
    }

    /** kvm_slot_dirty_track_enabled() as far as the bitmap goes: dirty logging is on. */
    public boolean dirtyTracked() {
        return dirtyBitmap != null;
    }

    MemslotState with(boolean present, SlotGeometry geometry, LockMode lock, Map<Long, Stage2Pte> stage2) {
        return new MemslotState(vm, slot, present, geometry, lock, stage2, sptes, dirtyBitmap);
    }

    MemslotState withSptes(Map<Long, Spte> s, DirtyBitmap bitmap) {
        return new MemslotState(vm, slot, present, geometry, lock, stage2, s, bitmap);
    }

    /** The stage-2 leaves as the persistent map they are: changed by making a new one. */
    TreePMap<Long, Stage2Pte> stage2Map() {
        return StateMaps.sorted(stage2);
    }

    /** The SPTEs as the persistent map they are: changed by making a new one. */
    TreePMap<Long, Spte> spteMap() {
        return StateMaps.sorted(sptes);
    }

    public long hvaOfGfn(long gfn) {
        return geometry.gfnToHva(gfn) >>> Pages.PAGE_SHIFT;
    }
}
