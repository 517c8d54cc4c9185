package kvmsim.domain.memslot;

import java.util.List;
import kvmsim.domain.entity.Event;

public sealed interface MemslotEvent extends Event {

    record MemslotCreated(SlotGeometry geometry) implements MemslotEvent {
    }

    record MemslotDeleted() implements MemslotEvent {
    }

    record MemslotMoved(SlotGeometry geometry) implements MemslotEvent {
    }

    record MemslotFlagsChanged(SlotGeometry geometry) implements MemslotEvent {
    }

    record Stage2Mapped(long firstGfn, long count, boolean writable, boolean executable) implements MemslotEvent {
    }

    record Stage2Unmapped(long firstGfn, long count) implements MemslotEvent {
    }

    /** kvm_mmu_wp_memory_region(): dirty logging starts, every leaf loses W. */
    record Stage2WriteProtected() implements MemslotEvent {
    }

    record MemslotLocked(LockMode mode) implements MemslotEvent {
    }

    record MemslotUnlocked(LockMode mode) implements MemslotEvent {
    }

    /** kvm_alloc_dirty_bitmap(): logging starts; every bit set with KVM_DIRTY_LOG_INITIALLY_SET. */
    record DirtyBitmapAllocated(boolean allSet) implements MemslotEvent {
    }

    /** Logging stops: the bitmap is freed, and what it held is never reported. */
    record DirtyBitmapFreed() implements MemslotEvent {
    }

    /**
     * The SPTE of gfn changed from old (null: not present) to spte. markedDirty: it became writable
     * in a slot that logs dirty pages, so mark_page_dirty_in_slot() set the gfn's bit in the same step.
     * A huge spte names the first gfn of its frame and replaces every SPTE of the frame.
     */
    record SpteChanged(long gfn, Spte old, Spte spte, boolean markedDirty) implements MemslotEvent {
    }

    /** clear_young without A/D bits: these SPTEs are access-tracked now; no TLB flush. */
    record SptesAccessTracked(List<Long> gfns) implements MemslotEvent {
        public SptesAccessTracked {
            gfns = List.copyOf(gfns);
        }
    }

    record SptesZapped(List<Long> gfns) implements MemslotEvent {
        public SptesZapped {
            gfns = List.copyOf(gfns);
        }
    }

    /**
     * kvm_mmu_slot_remove_write_access() over the whole slot; {@code changed} the gfns whose SPTE
     * actually lost W (what "modified" meant before b64d740).
     */
    record SlotWriteProtected(List<Long> changed) implements MemslotEvent {
        public SlotWriteProtected {
            changed = List.copyOf(changed);
        }
    }

    /**
     * KVM_GET_DIRTY_LOG returned {@code pages} (slot-relative); {@code cleared}: not manual-protect,
     * so the bits were cleared and the pages' SPTEs re-protected ({@code reprotected}: gfns that lost W).
     */
    record DirtyLogReported(List<Long> pages, boolean cleared, List<Long> reprotected) implements MemslotEvent {
        public DirtyLogReported {
            pages = List.copyOf(pages);
            reprotected = List.copyOf(reprotected);
        }
    }

    /** KVM_CLEAR_DIRTY_LOG cleared these set bits (slot-relative) and re-protected these gfns. */
    record DirtyLogCleared(List<Long> pages, List<Long> reprotected) implements MemslotEvent {
        public DirtyLogCleared {
            pages = List.copyOf(pages);
            reprotected = List.copyOf(reprotected);
        }
    }

    /**
     * kvm_arch_mmu_enable_log_dirty_pt_masked() for a batch of a dirty-ring reset: {@code gfns} were
     * to be write-protected, {@code changed} the ones whose SPTE lost W.
     */
    record GfnsWriteProtected(List<Long> gfns, List<Long> changed) implements MemslotEvent {
        public GfnsWriteProtected {
            gfns = List.copyOf(gfns);
            changed = List.copyOf(changed);
        }
    }

    /**
     * tdp_mmu_split_huge_page(): the huge SPTEs whose frames start at these gfns were replaced by
     * 512 children one level down (1G -> 2M, 2M -> 4K) with the same bits.
     */
    record HugeSptesSplit(List<Long> frames) implements MemslotEvent {
        public HugeSptesSplit {
            frames = List.copyOf(frames);
        }
    }

    /**
     * kvm_mmu_slot_gfn_write_protect(..., PG_LEVEL_2M): the huge SPTEs whose frames start at these
     * gfns lost W and MMU-writable (pt_protect), so a write to them faults and maps 4K.
     */
    record HugeSptesWriteProtected(List<Long> frames) implements MemslotEvent {
        public HugeSptesWriteProtected {
            frames = List.copyOf(frames);
        }
    }

    /** mark_page_dirty_in_slot() set the gfn's bit in the dirty bitmap. */
    record PageMarkedDirty(long gfn) implements MemslotEvent {
    }
}
