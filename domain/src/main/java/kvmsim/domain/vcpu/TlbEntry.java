package kvmsim.domain.vcpu;

/**
 * A translation of one gfn cached in a vCPU's TLB. {@code writable}: a guest write through it goes
 * straight to memory, without a walk of the SPTE (with A/D bits only when it was filled by a write,
 * as the CPU must walk to set the Dirty bit otherwise).
 */
public record TlbEntry(boolean writable) {

    private static final TlbEntry READ_ONLY = new TlbEntry(false);
    private static final TlbEntry WRITABLE = new TlbEntry(true);

    /** The entry, one shared instance per value: a guest's TLB holds one entry per page it touched. */
    public static TlbEntry of(boolean writable) {
        return writable ? WRITABLE : READ_ONLY;
    }

    /**
     * What an access that walked a translation leaves in the TLB. With A/D bits a read caches a
     * clean translation, so a later write walks again to set Dirty; without them the cached W is
     * used as it is.
     */
    public static TlbEntry filled(boolean translationWritable, boolean write, boolean adBits) {
        return of(translationWritable && (write || !adBits));
    }
}
