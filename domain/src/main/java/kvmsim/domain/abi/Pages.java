package kvmsim.domain.abi;

/** Page arithmetic: kvmsim models a 4K granule everywhere. */
public final class Pages {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;

    private Pages() {
    }

    public static boolean aligned(long value) {
        return (value & (PAGE_SIZE - 1)) == 0;
    }

    public static long pageOf(long address) {
        return address >>> PAGE_SHIFT;
    }

    /** The first byte of page {@code page}. */
    public static long addressOf(long page) {
        return page << PAGE_SHIFT;
    }

    /** How many pages an address space of {@code bits} bits holds. */
    public static long pagesIn(int bits) {
        return 1L << (bits - PAGE_SHIFT);
    }

    /** The byte of its page {@code address} is at: offset_in_page(). */
    public static long offsetInPage(long address) {
        return address & (PAGE_SIZE - 1);
    }

    /** {@code address} rounded down to its page: PAGE_ALIGN_DOWN(). */
    public static long alignDown(long address) {
        return address & ~(PAGE_SIZE - 1);
    }

    /** {@code address} rounded up to a page boundary: PAGE_ALIGN(). */
    public static long alignUp(long address) {
        return (address + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    }

    public static long count(long bytes) {
        return bytes >>> PAGE_SHIFT;
    }

    /** a + b overflows as an unsigned 64-bit sum. */
    public static boolean addOverflows(long a, long b) {
        return Long.compareUnsigned(a + b, a) < 0;
    }
}
