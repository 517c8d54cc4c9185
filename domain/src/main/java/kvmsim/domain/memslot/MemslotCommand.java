package kvmsim.domain.memslot;

import kvmsim.domain.entity.EntityCommand;

public sealed interface MemslotCommand extends EntityCommand {

    /** kvm_arch_prepare_memory_region() on arm64. */
    record PrepareChange(MemslotChange change, SlotGeometry geometry) implements MemslotCommand {
    }

    /**
     * kvm_set_memslot() + kvm_arch_commit_memory_region().
     *
     * @param dirtyBitmap the slot keeps a dirty bitmap while it logs dirty pages (x86; not modelled on arm64)
     * @param initiallySet KVM_DIRTY_LOG_INITIALLY_SET: a new bitmap starts with every page set
     * @param useDirtyBitmap kvm_use_dirty_bitmap(): false once the VM has a dirty ring, and then a slot
     *     that starts logging gets no bitmap (one it had is kept, or freed when logging stops)
     */
    record CommitChange(MemslotChange change, SlotGeometry geometry, boolean dirtyBitmap, boolean initiallySet,
            boolean useDirtyBitmap) implements MemslotCommand {

        public CommitChange(MemslotChange change, SlotGeometry geometry, boolean dirtyBitmap, boolean initiallySet) {
            this(change, geometry, dirtyBitmap, initiallySet, true);
        }
    }

    /** kvm_pgtable_stage2_map() of [firstGfn, firstGfn+count) at PAGE_SIZE, R plus W and X as given. */
    record Stage2Map(long firstGfn, long count, boolean writable, boolean executable) implements MemslotCommand {
    }

    /** stage2_unmap_memslot() / kvm_arch_flush_shadow_memslot() of the whole slot, or of a prefix. */
    record Stage2Unmap(long firstGfn, long count) implements MemslotCommand {
    }

    /** kvm_mmu_lock_memslot()'s slot checks, then the lock flags (lock_memslot() mapped and pinned the pages). */
    record Lock(LockMode mode) implements MemslotCommand {
    }

    record Unlock() implements MemslotCommand {
    }

    /** x86 fast_page_fault() on gfn's SPTE: fixed without mmu_lock if it can be, else nothing changes. */
    record FastPageFault(long gfn, boolean write, boolean adBits) implements MemslotCommand {
    }

    /**
     * x86 make_spte() for a slow-path fault on gfn: writable when the fault's pte_access has
     * ACC_WRITE_MASK ({@code accWrite}), the host page is writable (hva_to_pfn's map_writable) and the
     * slot is not read-only.
     */
    record MakeSpte(long gfn, boolean hostWritable, boolean accWrite, kvmsim.domain.abi.PageLevel level)
            implements MemslotCommand {

        /** A TDP fault: pte_access is ACC_ALL. */
        public MakeSpte(long gfn, boolean hostWritable) {
            this(gfn, hostWritable, true);
        }

        /** A 4K SPTE. */
        public MakeSpte(long gfn, boolean hostWritable, boolean accWrite) {
            this(gfn, hostWritable, accWrite, kvmsim.domain.abi.PageLevel.PG_LEVEL_4K);
        }
    }

    /**
     * arm64 user_mem_abort() on gfn: a translation fault maps it with the access's permissions, a
     * permission fault relaxes the leaf to allow the access as well.
     */
    record Stage2Fault(long gfn, boolean write, boolean exec) implements MemslotCommand {
    }

    /** kvm_age_gfn() without A/D bits: the present SPTEs of [firstGfn, firstGfn+count) become access-tracked. */
    record AccessTrackGfnRange(long firstGfn, long count) implements MemslotCommand {
    }

    /** kvm_unmap_gfn_range() / kvm_arch_flush_shadow_memslot(): zap the SPTEs of [firstGfn, firstGfn+count). */
    record ZapGfnRange(long firstGfn, long count) implements MemslotCommand {
    }

    /**
     * kvm_mmu_slot_remove_write_access(): every SPTE of the slot loses W; with {@code eagerSplit}
     * kvm_mmu_slot_try_split_huge_pages() first splits every huge SPTE down to 4K (the TDP MMU only).
     */
    record RemoveWriteAccess(boolean eagerSplit) implements MemslotCommand {

        public RemoveWriteAccess() {
            this(false);
        }
    }

    /**
     * kvm_mmu_recover_huge_pages() on the TDP MMU (6.12+): each 2M / 1G frame of the slot that is mapped
     * by 4K (or smaller huge) SPTEs and may be mapped at its level ({@code maxLevels}: the slot-relative
     * first gfn of each frame mapped to kvm_mmu_max_mapping_level()) becomes one huge SPTE.
     */
    record RecoverHugePages(java.util.Map<Long, kvmsim.domain.abi.PageLevel> maxLevels) implements MemslotCommand {
        public RecoverHugePages {
            maxLevels = java.util.Map.copyOf(maxLevels);
        }
    }

    /** kvm_get_dirty_log_protect(): read the bitmap; unless manual protect, clear it and re-protect. */
    record GetDirtyLog(boolean manualProtect) implements MemslotCommand {
    }

    /**
     * kvm_clear_dirty_log_protect() after the slot-independent checks.
     *
     * @param pages the slot-relative pages whose bits userspace passed; null: every page of the range
     */
    record ClearDirtyLog(long firstPage, long numPages, java.util.List<Long> pages, LazyHugeProtect huge)
            implements MemslotCommand {
        public ClearDirtyLog {
            pages = pages == null ? null : java.util.List.copyOf(pages);
        }

        public ClearDirtyLog(long firstPage, long numPages, java.util.List<Long> pages) {
            this(firstPage, numPages, pages, LazyHugeProtect.NONE);
        }
    }

    /**
     * kvm_arch_mmu_enable_log_dirty_pt_masked() from kvm_reset_dirty_gfn(): write-protect the pages
     * {@code offset + i} (slot-relative) for each bit i of {@code mask}.
     */
    record EnableLogDirtyPtMasked(long offset, long mask, LazyHugeProtect huge) implements MemslotCommand {

        public EnableLogDirtyPtMasked(long offset, long mask) {
            this(offset, mask, LazyHugeProtect.NONE);
        }
    }

    /** mark_page_dirty_in_slot(): KVM itself wrote the gfn (kvm_write_guest()); a no-op unless the slot logs. */
    record MarkPageDirty(long gfn) implements MemslotCommand {
    }
}
