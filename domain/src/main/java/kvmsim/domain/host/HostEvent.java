package kvmsim.domain.host;

import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.entity.Event;

/** Facts about the host kernel and the VMM process. */
public sealed interface HostEvent extends Event {

    /** @param pkvmOwnerBits how many PTE bits hold an owner id (pkvm-owner-bits), for a pKVM host; else null */
    record HostDeclared(Arch arch, HostFeatures features, Integer pkvmOwnerBits) implements HostEvent {
    }

    /** @param pageSize the backing page size; null in events recorded before it was modelled: 4K */
    record VmaMapped(long hva, long length, boolean shared, boolean protMte, kvmsim.domain.abi.PageLevel pageSize)
            implements HostEvent {

        public VmaMapped(long hva, long length, boolean shared, boolean protMte) {
            this(hva, length, shared, protMte, kvmsim.domain.abi.PageLevel.PG_LEVEL_4K);
        }
    }

    record MmuNotifierRegistered(String vm) implements HostEvent {
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

    /** Facts about the pKVM hypervisor's view of memory: the host stage-2, hyp and guest page states. */
    sealed interface PkvmEvent extends HostEvent {
    }

    /**
     * A store to a host stage-2 PTE ({@code addr} is the IPA the entry translates at {@code level}).
     * Clearing a valid PTE includes its break-before-make TLB invalidation.
     */
    record HostStage2PteWritten(String table, int index, int level, long addr, long oldPte, long newPte)
            implements PkvmEvent {
    }

    /** get_page()/put_page() on a table page: its refcount after. */
    record HostStage2RefcountChanged(String table, int refcount) implements PkvmEvent {
    }

    /** A zeroed table page from host_s2_pool (refcount 1). */
    record HostStage2TableAllocated(int level, long base) implements PkvmEvent {
    }

    /** A table page whose refcount reached 0, back to the pool. */
    record HostStage2TableFreed(String table) implements PkvmEvent {
    }

    /**
     * kvm_pgtable_stage2_set_owner() is about to annotate [addr, addr+size): {@code ownerId} is the id
     * the caller asked for, {@code annotation} the invalid PTE the owner encoding made of it, with
     * {@code ownerBits} bits of owner (the pkvm-owner-bits policy), so a journal can be audited alone.
     */
    record PkvmOwnerSet(long addr, long size, long ownerId, long annotation, int ownerBits) implements PkvmEvent {
    }

    /** A hypercall's checks all passed: its commit follows (pkvm_mem_transition's check, then commit). */
    record PkvmTransitionCommitted(String call, long pfn, long nrPages) implements PkvmEvent {
    }

    /** __hyp_set_page_state_range(): the hypervisor's view of these pages. */
    record HypPageStateSet(long pfn, long nrPages, kvmsim.domain.host.PageState state) implements PkvmEvent {
    }

    /** The FF-A proxy's record of the pages the host shares with the secure world (ffa.c). */
    record HostFfaShareChanged(long pfn, long nrPages, boolean shared) implements PkvmEvent {
    }

    /** hyp_page_ref_inc()/hyp_page_ref_dec() by hyp_pin_shared_mem()/hyp_unpin_shared_mem(). */
    record HypPageRefcountChanged(long pfn, int refcount) implements PkvmEvent {
    }

    /** The guest's stage-2 maps gfn to pfn, SHARED_BORROWED; host_share_guest_count after. */
    record GuestPageShared(String vm, long gfn, long pfn, int shareCount) implements PkvmEvent {
    }

    /** The guest's stage-2 no longer maps gfn; host_share_guest_count of pfn after. */
    record GuestPageUnshared(String vm, long gfn, long pfn, int shareCount) implements PkvmEvent {
    }
}
