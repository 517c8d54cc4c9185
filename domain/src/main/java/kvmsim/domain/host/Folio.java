package kvmsim.domain.host;

/**
 * A guest_memfd folio (one 4K page: kvmsim allocates order-0 folios) in host memory.
 *
 * @param locked folio_lock() is held: only inside one kernel operation, never between steps
 * @param directMap the page's entry in the host kernel's direct map is present
 * @param pgPrivate PG_private: under the RFC (seed 001) set while the page is removed from the
 *     direct map and no gfn_to_pfn cache holds it
 * @param mapCount page_private(): how many gfn_to_pfn caches hold the page (policy refcounted only)
 */
public record Folio(String gmem, long index, boolean locked, boolean directMap, boolean pgPrivate, int mapCount) {

    /** filemap_grab_folio() returns a new folio locked, in the direct map like all fresh memory. */
    public static Folio allocated(String gmem, long index) {
        return new Folio(gmem, index, true, true, false, 0);
    }

    Folio withLocked(boolean l) {
        return new Folio(gmem, index, l, directMap, pgPrivate, mapCount);
    }

    Folio withDirectMap(boolean d) {
        return new Folio(gmem, index, locked, d, pgPrivate, mapCount);
    }

    Folio withPgPrivate(boolean p) {
        return new Folio(gmem, index, locked, directMap, p, mapCount);
    }

    Folio withMapCount(int n) {
        return new Folio(gmem, index, locked, directMap, pgPrivate, n);
    }
}
