package kvmsim.domain.memslot;

import kvmsim.domain.abi.PageLevel;

/**
 * A shadow-present leaf SPTE (arch/x86/kvm/mmu/spte.h), with the bits dirty logging depends on.
 * Its constructor enforces check_spte_writable_invariants() and the access-tracking rule, so the
 * model cannot build an SPTE the kernel would WARN about: W implies MMU-writable implies
 * Host-writable, and an access-tracked SPTE has R, W and X cleared.
 *
 * @param writable PT_WRITABLE_MASK: the hardware may write through it
 * @param mmuWritable shadow_mmu_writable_mask: KVM may make it writable without mmu_lock
 * @param hostWritable shadow_host_writable_mask: the host mapping of the page is writable
 * @param accessTracked mark_spte_for_access_track() without A/D bits: RWX saved and cleared
 * @param level the leaf's level: 4K, or a huge SPTE (PS set) mapping a whole 2M / 1G frame; the slot
 *     holds a huge SPTE once, under its frame's first gfn, and a lookup by any gfn of the frame finds it
 */
public record Spte(boolean writable, boolean mmuWritable, boolean hostWritable, boolean accessTracked,
        PageLevel level) {

    public Spte {
        // an SPTE recorded before levels were modelled was a 4K one
        level = level == null ? PageLevel.PG_LEVEL_4K : level;
        if (writable && !mmuWritable) {
            throw new IllegalArgumentException("SPTE is Writable but not MMU-writable");
        }
        if (mmuWritable && !hostWritable) {
            throw new IllegalArgumentException("SPTE is MMU-writable but not Host-writable");
        }
        if (accessTracked && writable) {
            throw new IllegalArgumentException("an access-tracked SPTE is not Writable");
        }
    }

    /** A 4K SPTE with these bits. */
    public Spte(boolean writable, boolean mmuWritable, boolean hostWritable, boolean accessTracked) {
        this(writable, mmuWritable, hostWritable, accessTracked, PageLevel.PG_LEVEL_4K);
    }

    // every valid SPTE, one shared instance each: a slot holds one SPTE per page the guest touched
    private static final Spte[] ALL = new Spte[16 * PageLevel.values().length];

    static {
        for (PageLevel level : PageLevel.values()) {
            for (int bits = 0; bits < 16; bits++) {
                boolean w = (bits & 8) != 0;
                boolean mmu = (bits & 4) != 0;
                boolean host = (bits & 2) != 0;
                boolean tracked = (bits & 1) != 0;
                if ((!w || mmu) && (!mmu || host) && !(tracked && w)) {
                    ALL[16 * level.ordinal() + bits] = new Spte(w, mmu, host, tracked, level);
                }
            }
        }
    }

    /** The SPTE with these bits: a shared instance; bits the constructor refuses are refused here too. */
    static Spte of(boolean writable, boolean mmuWritable, boolean hostWritable, boolean accessTracked,
            PageLevel level) {
        Spte s = ALL[16 * level.ordinal()
                + ((writable ? 8 : 0) | (mmuWritable ? 4 : 0) | (hostWritable ? 2 : 0) | (accessTracked ? 1 : 0))];
        return s != null ? s : new Spte(writable, mmuWritable, hostWritable, accessTracked, level);
    }

    /** make_spte() with ACC_ALL for a TDP fault: writable exactly when the host mapping is. */
    public static Spte make(boolean hostWritable) {
        return make(true, hostWritable);
    }

    /**
     * make_spte(): without host_writable ACC_WRITE_MASK is dropped; with it the SPTE gets
     * shadow_host_writable_mask, and W with MMU-writable only if pte_access has ACC_WRITE_MASK.
     */
    public static Spte make(boolean accWrite, boolean hostWritable) {
        return make(accWrite, hostWritable, PageLevel.PG_LEVEL_4K);
    }

    /** make_spte() at {@code level}: a huge SPTE when it is 2M or 1G. */
    public static Spte make(boolean accWrite, boolean hostWritable, PageLevel level) {
        boolean w = accWrite && hostWritable;
        return of(w, w, hostWritable, false, level);
    }

    /** A huge SPTE: it maps a whole 2M or 1G frame. */
    public boolean huge() {
        return level != PageLevel.PG_LEVEL_4K;
    }

    /**
     * make_small_spte() as tdp_mmu_split_huge_page() uses it: a child one level down (a 1G SPTE splits
     * into 2M ones, a 2M one into 4K ones) keeps the huge SPTE's bits (W, MMU-writable, Host-writable,
     * access tracking).
     */
    public Spte split() {
        if (!huge()) {
            throw new IllegalStateException("a 4K SPTE has no children");
        }
        return of(writable, mmuWritable, hostWritable, accessTracked, PageLevel.values()[level.ordinal() - 1]);
    }

    /** make_huge_spte(): the huge SPTE recovered from a 4K child, with the child's bits. */
    public Spte huge(PageLevel to) {
        return of(writable, mmuWritable, hostWritable, accessTracked, to);
    }

    /** mark_spte_for_access_track(): W is lost (not saved), MMU-writable and Host-writable stay. */
    public Spte markForAccessTrack() {
        return of(false, mmuWritable, hostWritable, true, level);
    }

    /** restore_acc_track_spte(): R and X come back, W does not. */
    public Spte restoreAccTrack() {
        return of(false, mmuWritable, hostWritable, false, level);
    }

    /** spte_write_protect() / the wrprot of dirty logging: W cleared, MMU-writable kept. */
    public Spte writeProtected() {
        return of(false, mmuWritable, hostWritable, accessTracked, level);
    }

    /**
     * rmap_write_protect(pt_protect = true) / the TDP MMU's write_protect_gfn(), as
     * kvm_mmu_slot_gfn_write_protect() uses them: W and MMU-writable cleared, so no fast path can
     * make it writable again.
     */
    public Spte ptProtected() {
        return of(false, false, hostWritable, accessTracked, level);
    }

    /** fast_page_fault(): W added to an MMU-writable SPTE. */
    public Spte madeWritable() {
        return of(true, mmuWritable, hostWritable, false, level);
    }

    /**
     * page_fault_can_be_fast() + fast_page_fault(): the SPTE a fault on this one can fix without
     * mmu_lock, or null when it takes the slow path. Without A/D bits an access-tracked SPTE is
     * restored (and made writable for a write, if MMU-writable); otherwise only a write to an
     * MMU-writable SPTE is fast.
     */
    public Spte fastPageFault(boolean write, boolean adBits) {
        return fastPageFault(write, adBits, false);
    }

    /**
     * As above in a slot that logs dirty pages when {@code dirtyTracked}: fast_page_fault() leaves a
     * huge SPTE there to the slow path ({@code sp->role.level > PG_LEVEL_4K &&
     * kvm_slot_dirty_track_enabled(slot)}), which maps the written page at 4K.
     */
    public Spte fastPageFault(boolean write, boolean adBits, boolean dirtyTracked) {
        boolean canBeFast = accessTracked ? !adBits : write;
        if (!canBeFast) {
            return null;
        }
        Spte fixed = accessTracked ? restoreAccTrack() : this;
        if (write && fixed.mmuWritable()) {
            if (huge() && dirtyTracked) {
                return null; // "Do not fix write-permission on the large spte when dirty logging is enabled"
            }
            fixed = fixed.madeWritable();
        }
        if (fixed.equals(this) || !fixed.allows(write)) {
            return null; // e.g. a write to an SPTE that is not MMU-writable: the slow path
        }
        return fixed;
    }

    /** is_access_allowed(): the hardware would complete this access without faulting. */
    public boolean allows(boolean write) {
        return !accessTracked && (!write || writable);
    }
}
