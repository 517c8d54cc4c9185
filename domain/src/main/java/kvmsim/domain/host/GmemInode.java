package kvmsim.domain.host;

import java.util.Map;

/**
 * A guest_memfd file's inode: the VM it was created for, its size, its flags, and its page cache.
 *
 * @param pages the page cache: file page index to the pfn of its folio
 */
public record GmemInode(String vm, long size, long flags, Map<Long, Long> pages) {

    /** GUEST_MEMFD_FLAG_MMAP, GUEST_MEMFD_FLAG_INIT_SHARED (mainline) and the RFC's KVM_GMEM_NO_DIRECT_MAP. */
    public static final long GUEST_MEMFD_FLAG_MMAP = 1L << 0;
    public static final long GUEST_MEMFD_FLAG_INIT_SHARED = 1L << 1;
    /** kvmsim gives it the value of the 2025 series' GUEST_MEMFD_FLAG_NO_DIRECT_MAP (the RFC used bit 0, now MMAP's). */
    public static final long KVM_GMEM_NO_DIRECT_MAP = 1L << 2;

    public GmemInode {
        pages = Map.copyOf(pages);
    }

    public boolean noDirectMap() {
        return (flags & KVM_GMEM_NO_DIRECT_MAP) != 0;
    }

    /** The flag bits of gmem_flags names (trace-format.md, HOST features). */
    public static long flagBits(java.util.List<String> names) {
        long bits = 0;
        for (String n : names) {
            switch (n) {
                case "GUEST_MEMFD_FLAG_MMAP" -> bits |= GUEST_MEMFD_FLAG_MMAP;
                case "GUEST_MEMFD_FLAG_INIT_SHARED" -> bits |= GUEST_MEMFD_FLAG_INIT_SHARED;
                case "KVM_GMEM_NO_DIRECT_MAP" -> bits |= KVM_GMEM_NO_DIRECT_MAP;
                default -> throw new IllegalArgumentException("unknown guest_memfd flag " + n);
            }
        }
        return bits;
    }
}
