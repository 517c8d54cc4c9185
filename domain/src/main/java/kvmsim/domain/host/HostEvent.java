package kvmsim.domain.host;

import java.util.List;
import kvmsim.domain.common.Arch;
import kvmsim.domain.kernel.Event;

/** Facts about the host kernel and the VMM process. */
public sealed interface HostEvent extends Event {

    record HostDeclared(Arch arch, HostFeatures features) implements HostEvent {
    }

    record VmaMapped(long hva, long length, boolean shared, boolean protMte) implements HostEvent {
    }

    record VmaUnmapped(long hva, long length) implements HostEvent {
    }

    record RlimitMemlockSet(long bytes) implements HostEvent {
    }

    /** @param tagsInitialised the pages first touched in a PROT_MTE VMA (mte_sync_tags) */
    record UserspaceWrote(long hva, long length, List<Long> tagsInitialised) implements HostEvent {
        public UserspaceWrote {
            tagsInitialised = List.copyOf(tagsInitialised);
        }
    }

    record PagesPinned(long hva, long npages, boolean write) implements HostEvent {
    }

    record PagesUnpinned(long hva, long npages, boolean dirtied) implements HostEvent {
    }

    record LockedVmAccounted(long deltaPages, long lockedVm) implements HostEvent {
    }

    /** mte_clear_page_tags() on these hva pages, which then have PG_mte_tagged. */
    record MteTagsSanitised(List<Long> hvaPages) implements HostEvent {
        public MteTagsSanitised {
            hvaPages = List.copyOf(hvaPages);
        }
    }

    record DcacheCleaned(long hva, long npages) implements HostEvent {
    }

    record IcacheInvalidated(long hva, long npages) implements HostEvent {
    }

    record IcacheInvalidatedAll() implements HostEvent {
    }

    /** The VMM's PTE for this page became writable (a write fault broke COW of the zero page, or a shared page). */
    record HostPageMappedWritable(long hvaPage) implements HostEvent {
    }

    /** Facts about guest_memfd inodes, their folios and the direct map. */
    sealed interface FolioEvent extends HostEvent {
    }

    record GmemCreated(String gmem, String vm, long size, long flags) implements FolioEvent {
    }

    /** kvm_gmem_get_folio(): a new folio, zeroed and prepared, locked, present in the direct map. */
    record GmemFolioAllocated(String gmem, long index, long pfn) implements FolioEvent {
    }

    record FolioLocked(long pfn) implements FolioEvent {
    }

    record FolioUnlocked(long pfn) implements FolioEvent {
    }

    /** set_direct_map_invalid_noflush(). */
    record DirectMapZapped(long pfn) implements FolioEvent {
    }

    /** set_direct_map_default_noflush(). */
    record DirectMapRestored(long pfn) implements FolioEvent {
    }

    /** folio_set_private() (set) or folio_clear_private(). */
    record FolioPrivateChanged(long pfn, boolean set) implements FolioEvent {
    }

    /** set_page_private(): the number of gfn_to_pfn caches holding the page (policy refcounted). */
    record FolioMapCountSet(long pfn, int count) implements FolioEvent {
    }

    /** The host kernel read or wrote the page through its direct map (memcpy, or a cache's khva). */
    record KernelAccessedFolio(long pfn, boolean write, String via) implements FolioEvent {
    }
}
