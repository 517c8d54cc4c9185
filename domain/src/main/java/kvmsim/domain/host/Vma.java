package kvmsim.domain.host;

import kvmsim.domain.abi.PageLevel;

/**
 * A VMA of the VMM process: [start, start+length), MAP_SHARED or private, PROT_MTE or not.
 *
 * @param pageSize the size of the pages backing it (hugetlbfs, or THP mapped by PMD/PUD): what
 *     host_pfn_mapping_level() finds in the host page tables for an address of it, once faulted in
 */
public record Vma(long start, long length, boolean shared, boolean protMte, PageLevel pageSize) {

    public Vma {
        // a VMA recorded before page sizes were modelled was backed by 4K pages
        pageSize = pageSize == null ? PageLevel.PG_LEVEL_4K : pageSize;
    }

    public Vma(long start, long length, boolean shared, boolean protMte) {
        this(start, length, shared, protMte, PageLevel.PG_LEVEL_4K);
    }

    public long end() {
        return start + length;
    }

    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end()) < 0;
    }

    public boolean overlaps(long otherStart, long otherLength) {
        return Long.compareUnsigned(otherStart, end()) < 0
                && Long.compareUnsigned(start, otherStart + otherLength) < 0;
    }
}
