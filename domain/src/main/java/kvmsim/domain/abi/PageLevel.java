package kvmsim.domain.abi;

/**
 * enum pg_level (arch/x86/include/asm/pgtable_types.h) as far as KVM maps guest memory: the size of
 * a host page backing a VMA and of the leaf SPTE that maps guest pages. Written 4K, 2M and 1G in a trace.
 */
public enum PageLevel {
    PG_LEVEL_4K("4K", 0),
    PG_LEVEL_2M("2M", 9),
    PG_LEVEL_1G("1G", 18);

    public final String traceName;
    /** log2 of KVM_PAGES_PER_HPAGE(level). */
    public final int pageShift;

    PageLevel(String traceName, int pageShift) {
        this.traceName = traceName;
        this.pageShift = pageShift;
    }

    /** KVM_PAGES_PER_HPAGE(level): how many 4K pages one page of this level spans. */
    public long pages() {
        return 1L << pageShift;
    }

    /** The page size in bytes. */
    public long bytes() {
        return Pages.PAGE_SIZE << pageShift;
    }

    /** The first 4K page of the page of this level that holds {@code page}. */
    public long alignDown(long page) {
        return page & ~(pages() - 1);
    }

    public static PageLevel min(PageLevel a, PageLevel b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The level written {@code name} (4K, 2M, 1G), or null. */
    public static PageLevel ofTraceName(String name) {
        for (PageLevel l : values()) {
            if (l.traceName.equals(name)) {
                return l;
            }
        }
        return null;
    }

    public static java.util.List<String> traceNames() {
        return java.util.Arrays.stream(values()).map(l -> l.traceName).toList();
    }
}
