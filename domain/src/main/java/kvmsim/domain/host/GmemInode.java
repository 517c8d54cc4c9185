package kvmsim.domain.host;

import java.util.Map;
import kvmsim.domain.abi.GmemFlag;
import kvmsim.domain.entity.StateMaps;

/**
 * A guest_memfd file's inode: the VM it was created for, its size, its flags, and its page cache.
 *
 * @param pages the page cache: file page index to the pfn of its folio (persistent: see StateMaps)
 */
public record GmemInode(String vm, long size, long flags, Map<Long, Long> pages) {

    public GmemInode {
        pages = StateMaps.sorted(pages);
    }

    public boolean noDirectMap() {
        return GmemFlag.KVM_GMEM_NO_DIRECT_MAP.in(flags);
    }

}
