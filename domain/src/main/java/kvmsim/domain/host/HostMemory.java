package kvmsim.domain.host;

/**
 * The host's physical memory as the hypervisor sees it (hyp_memory[]): kvmsim gives a pKVM host one
 * memblock of its {@code memory} bytes at 1 GiB, where QEMU's virt machine puts RAM; everything
 * else, up to the 39-bit IPA limit, is MMIO.
 */
public record HostMemory(long base, long size) {

    public static final long RAM_BASE = 0x4000_0000L;

    public static HostMemory of(long memoryBytes) {
        return new HostMemory(RAM_BASE, memoryBytes);
    }

    public long end() {
        return base + size;
    }

    /** A struct kvm_mem_range: [start, end), end exclusive (ULONG_MAX above the last memblock). */
    public record Range(long start, long end, boolean memory) {
        public boolean contains(long addr) {
            return Long.compareUnsigned(addr, start) >= 0 && Long.compareUnsigned(addr, end) < 0;
        }
    }

    /** find_mem_range(): the memblock holding addr, or the gap between memblocks around it. */
    public Range find(long addr) {
        if (Long.compareUnsigned(addr, base) < 0) {
            return new Range(0, base, false);
        } else if (Long.compareUnsigned(addr, end()) >= 0) {
            return new Range(end(), -1L, false);
        }
        return new Range(base, end(), true);
    }
}
