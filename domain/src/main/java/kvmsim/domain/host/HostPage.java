package kvmsim.domain.host;

/**
 * The folio behind one page of the VMM's memory. kvmsim names a page by the VMM address it backs
 * (its hva page number): each anonymous page has its own folio, so two memslots over the same hva
 * share the page, as they do in the kernel.
 */
public record HostPage(boolean mteTagged, int pins) {

    public static final HostPage UNTOUCHED = new HostPage(false, 0);

    public HostPage withPins(int delta) {
        return new HostPage(mteTagged, pins + delta);
    }

    public HostPage tagged() {
        return new HostPage(true, pins);
    }
}
