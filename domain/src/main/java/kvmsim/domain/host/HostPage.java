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

    public HostPage withPins(int delta) {
        return new HostPage(mteTagged, pins + delta, writable);
    }

    public HostPage tagged() {
        return new HostPage(true, pins, writable);
    }

    public HostPage withWritable(boolean w) {
        return new HostPage(mteTagged, pins, w);
    }
}
