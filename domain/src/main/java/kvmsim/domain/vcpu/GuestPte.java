package kvmsim.domain.vcpu;

/**
 * The x86 guest's leaf PTE for an access, as the guest left it before the access (the trace's
 * {@code gpte}): its W (bit 1) and D (bit 6). Only shadow paging reads it (paging_tmpl.h
 * FNAME(walk_addr_generic)); under TDP the guest's page tables are the hardware's business.
 *
 * @param writable PT_WRITABLE_MASK of the leaf gPTE (ANDed over the walk)
 * @param dirty PT_DIRTY_MASK of the leaf gPTE
 */
public record GuestPte(boolean writable, boolean dirty) {

    /** The trace's field name and its two keys. */
    public static final String FIELD = "gpte";
    public static final String WRITABLE = "writable";
    public static final String DIRTY = "dirty";

    /** What a guest step without {@code gpte} stands for: guest paging off, or a leaf with W and D set. */
    public static final GuestPte WRITABLE_DIRTY = new GuestPte(true, true);
}
