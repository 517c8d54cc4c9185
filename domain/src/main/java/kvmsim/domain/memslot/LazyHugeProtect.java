package kvmsim.domain.memslot;

/**
 * What kvm_arch_mmu_enable_log_dirty_pt_masked() does to huge SPTEs before it write-protects the
 * 4K ones of a 64-page word: under KVM_DIRTY_LOG_INITIALLY_SET logging started without touching
 * them, so they are dealt with lazily, word by word, when userspace clears (or the ring resets).
 */
public enum LazyHugeProtect {
    /** Not kvm_dirty_log_manual_protect_and_init_set(): huge SPTEs were write-protected when logging started. */
    NONE,
    /** kvm_mmu_slot_gfn_write_protect(start / end, PG_LEVEL_2M): the huge SPTEs at the word's ends lose W and MMU-writable. */
    WRITE_PROTECT,
    /** eager_page_split on the TDP MMU: kvm_mmu_try_split_huge_pages() of [start, end] first, so no huge SPTE is left there. */
    SPLIT
}
