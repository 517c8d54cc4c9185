package kvmsim.domain.vcpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.DirtyRingAbi;
import kvmsim.domain.entity.StateMaps;

/**
 * struct kvm_dirty_ring (virt/kvm/dirty_ring.c) of one vCPU, and the VMM's read position in it.
 * Entries live at {@code index & (size - 1)}; an invalid entry (flags 0) is not kept.
 *
 * @param size ring->size, in entries
 * @param softLimit ring->soft_limit: size less the reserved entries
 * @param dirtyIndex ring->dirty_index: where KVM pushes next
 * @param resetIndex ring->reset_index: where KVM_RESET_DIRTY_RINGS resumes
 * @param fetchIndex the VMM's own index: where its next harvest reads (QEMU's fetch_index)
 * @param gfns the valid entries, by array slot
 */
public record DirtyRing(long size, long softLimit, long dirtyIndex, long resetIndex, long fetchIndex,
        Map<Long, DirtyGfn> gfns) {

    /** struct kvm_dirty_gfn: {@code slot} is as_id << 16 | id, {@code offset} the gfn less the slot's base. */
    public record DirtyGfn(int flags, long slot, long offset) {
        public boolean dirty() {
            return flags == DirtyRingAbi.KVM_DIRTY_GFN_F_DIRTY;
        }

        /** kvm_dirty_gfn_harvested(): the VMM set KVM_DIRTY_GFN_F_RESET. */
        public boolean harvested() {
            return (flags & DirtyRingAbi.KVM_DIRTY_GFN_F_RESET) != 0;
        }
    }

    public DirtyRing {
        // a persistent map: a push, harvest or reset changes its entries, not a copy of the ring
        gfns = StateMaps.sorted(gfns);
    }

    // kvm_dirty_ring_alloc(): size / sizeof(struct kvm_dirty_gfn) entries, zeroed
    public static DirtyRing alloc(long bytes) {
        long entries = bytes / DirtyRingAbi.KVM_DIRTY_GFN_SIZE;
        return new DirtyRing(entries, entries - DirtyRingAbi.rsvdEntries(), 0, 0, 0, Map.of());
    }

    /** kvm_dirty_ring_used(). */
    public long used() {
        return dirtyIndex - resetIndex;
    }

    /** kvm_dirty_ring_soft_full(). */
    public boolean softFull() {
        return used() >= softLimit;
    }

    public DirtyGfn at(long index) {
        return gfns.get(index & (size - 1));
    }

    // kvm_dirty_ring_push(): when full (only a WARN) the entry overwrites the oldest
    DirtyRing pushed(long slot, long offset) {
        Map<Long, DirtyGfn> g = StateMaps.with(gfns, dirtyIndex & (size - 1),
                new DirtyGfn(DirtyRingAbi.KVM_DIRTY_GFN_F_DIRTY, slot, offset));
        return new DirtyRing(size, softLimit, dirtyIndex + 1, resetIndex, fetchIndex, g);
    }

    /** What a harvest of at most {@code max} entries reads: the dirty entries from fetchIndex on, in order. */
    public List<DirtyGfn> harvestable(long max) {
        List<DirtyGfn> out = new ArrayList<>();
        for (long i = fetchIndex; Long.compareUnsigned(out.size(), max) < 0 && out.size() < size; i++) {
            DirtyGfn e = at(i);
            if (e == null || !e.dirty()) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    /** The VMM set KVM_DIRTY_GFN_F_RESET on the next {@code n} entries it read. */
    DirtyRing harvested(int n) {
        Map<Long, DirtyGfn> g = gfns;
        for (long i = fetchIndex; i < fetchIndex + n; i++) {
            DirtyGfn e = at(i);
            g = StateMaps.with(g, i & (size - 1), new DirtyGfn(e.flags() | DirtyRingAbi.KVM_DIRTY_GFN_F_RESET, e.slot(),
                    e.offset()));
        }
        return new DirtyRing(size, softLimit, dirtyIndex, resetIndex, fetchIndex + n, g);
    }

    /** kvm_dirty_ring_reset()'s loop: the harvested entries from resetIndex on, up to the first that is not. */
    public List<DirtyGfn> resettable() {
        List<DirtyGfn> out = new ArrayList<>();
        for (long i = resetIndex; out.size() < size; i++) {
            DirtyGfn e = at(i);
            if (e == null || !e.harvested()) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    /** kvm_dirty_gfn_set_invalid() on the next {@code n} entries, reset_index moved past them. */
    DirtyRing reset(int n) {
        Map<Long, DirtyGfn> g = gfns;
        for (long i = resetIndex; i < resetIndex + n; i++) {
            g = StateMaps.without(g, i & (size - 1));
        }
        return new DirtyRing(size, softLimit, dirtyIndex, resetIndex + n, fetchIndex, g);
    }
}
