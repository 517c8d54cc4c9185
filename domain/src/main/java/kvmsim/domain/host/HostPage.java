package kvmsim.domain.host;

/**
 * The folio behind one page of the VMM's memory. kvmsim names a page by the VMM address it backs
 * (its hva page number): each anonymous page has its own folio, so two memslots over the same hva
 * share the page, as they do in the kernel.
 *
 * @param writable the VMM's page table maps it writable: it was written (by the VMM, or faulted
 *     for write), so hva_to_pfn() of a read fault gets a writable pfn; an untouched private page
 *     reads as the shared zero page, mapped read-only
 */
public record HostPage(boolean mteTagged, int pins, boolean writable) {

    public static final HostPage UNTOUCHED = new HostPage(false, 0, false);
    // the unpinned pages, one shared instance each: a guest's host holds one page per page it touched
    private static final HostPage[] UNPINNED = {UNTOUCHED, new HostPage(false, 0, true), new HostPage(true, 0, false),
        new HostPage(true, 0, true)};

    static HostPage of(boolean mteTagged, int pins, boolean writable) {
        return pins == 0 ? UNPINNED[(mteTagged ? 2 : 0) + (writable ? 1 : 0)] : new HostPage(mteTagged, pins, writable);
    }

    public HostPage withPins(int delta) {
        return of(mteTagged, pins + delta, writable);
    }

    public HostPage tagged() {
        return of(true, pins, writable);
    }

    public HostPage withWritable(boolean w) {
        return of(mteTagged, pins, w);
    }
}
