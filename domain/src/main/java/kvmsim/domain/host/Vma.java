package kvmsim.domain.host;

/** A VMA of the VMM process: [start, start+length), MAP_SHARED or private, PROT_MTE or not. */
public record Vma(long start, long length, boolean shared, boolean protMte) {

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
