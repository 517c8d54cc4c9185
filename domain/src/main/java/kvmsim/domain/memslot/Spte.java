package kvmsim.domain.memslot;

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
 */
public record Spte(boolean writable, boolean mmuWritable, boolean hostWritable, boolean accessTracked) {

    public Spte {
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

    // every valid SPTE, one shared instance each: a slot holds one SPTE per page the guest touched
    private static final Spte[] ALL = new Spte[16];

    static {
        for (int bits = 0; bits < 16; bits++) {
            boolean w = (bits & 8) != 0;
            boolean mmu = (bits & 4) != 0;
            boolean host = (bits & 2) != 0;
            boolean tracked = (bits & 1) != 0;
            if ((!w || mmu) && (!mmu || host) && !(tracked && w)) {
                ALL[bits] = new Spte(w, mmu, host, tracked);
            }
        }
    }

    /** The SPTE with these bits: a shared instance; bits the constructor refuses are refused here too. */
    static Spte of(boolean writable, boolean mmuWritable, boolean hostWritable, boolean accessTracked) {
        Spte s = ALL[(writable ? 8 : 0) | (mmuWritable ? 4 : 0) | (hostWritable ? 2 : 0) | (accessTracked ? 1 : 0)];
        return s != null ? s : new Spte(writable, mmuWritable, hostWritable, accessTracked);
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
        boolean w = accWrite && hostWritable;
        return of(w, w, hostWritable, false);
    }

    /** mark_spte_for_access_track(): W is lost (not saved), MMU-writable and Host-writable stay. */
    public Spte markForAccessTrack() {
        return of(false, mmuWritable, hostWritable, true);
    }

    /** restore_acc_track_spte(): R and X come back, W does not. */
    public Spte restoreAccTrack() {
        return of(false, mmuWritable, hostWritable, false);
    }

    /** spte_write_protect() / the wrprot of dirty logging: W cleared, MMU-writable kept. */
    public Spte writeProtected() {
        return of(false, mmuWritable, hostWritable, accessTracked);
    }

    /** fast_page_fault(): W added to an MMU-writable SPTE. */
    public Spte madeWritable() {
        return of(true, mmuWritable, hostWritable, false);
    }

    /**
     * page_fault_can_be_fast() + fast_page_fault(): the SPTE a fault on this one can fix without
     * mmu_lock, or null when it takes the slow path. Without A/D bits an access-tracked SPTE is
     * restored (and made writable for a write, if MMU-writable); otherwise only a write to an
     * MMU-writable SPTE is fast.
     */
    public Spte fastPageFault(boolean write, boolean adBits) {
        boolean canBeFast = accessTracked ? !adBits : write;
        if (!canBeFast) {
            return null;
        }
        Spte fixed = accessTracked ? restoreAccTrack() : this;
        if (write && fixed.mmuWritable()) {
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
