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
 * @param sptes x86: the shadow-present leaf SPTEs of the slot's gfns, by gfn (persistent)
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

    public Spte spte(long gfn) {
        return sptes.get(gfn);
    }

    /** The SPTEs of gfns [first, first + count), in gfn order: a view, O(log n) to make. */
    public SortedMap<Long, Spte> sptesIn(long first, long count) {
        return spteMap().subMap(first, first + count);
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
