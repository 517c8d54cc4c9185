package kvmsim.domain.host;

import kvmsim.domain.abi.Arch;
import kvmsim.domain.entity.EntityCommand;

/** What can be asked of the host kernel / VMM process. Addresses are VMM virtual addresses (hva). */
public sealed interface HostCommand extends EntityCommand {

    /**
     * HOST, or the implicit declaration of a host first used without one.
     *
     * @param pkvmOwnerBits the pkvm-owner-bits policy of the run, for a host with pkvm; else null */
    record Declare(Arch arch, HostFeatures features, Integer pkvmOwnerBits) implements HostCommand {
    }

    /** @param pageSize the backing page size: 4K, or hugetlbfs / THP pages of 2M or 1G */
    record Mmap(long hva, long length, boolean shared, boolean protMte, kvmsim.domain.abi.PageLevel pageSize)
            implements HostCommand {

        public Mmap(long hva, long length, boolean shared, boolean protMte) {
            this(hva, length, shared, protMte, kvmsim.domain.abi.PageLevel.PG_LEVEL_4K);
        }
    }

    /** kvm_create_vm() -> kvm_init_mmu_notifier() -> mmu_notifier_register(): the VM's notifier joins the mm. */
    record RegisterMmuNotifier(String vm) implements HostCommand {
    }

    record Munmap(long hva, long length) implements HostCommand {
    }

    record SetRlimitMemlock(long bytes) implements HostCommand {
    }

    /** The VMM writes guest memory through its own mapping. */
    record UserspaceWrite(long hva, long length) implements HostCommand {
    }

    /** pin_user_pages(FOLL_LONGTERM | (write ? FOLL_WRITE : 0)) of a prefix that the caller checked is mapped. */
    record PinPages(long hva, long npages, boolean write) implements HostCommand {
    }

    /** unpin_user_pages, after set_page_dirty_lock() when the pin was for write. */
    record UnpinPages(long hva, long npages, boolean dirty) implements HostCommand {
    }

    /** account_locked_vm(mm, |delta|, delta > 0). */
    record AccountLockedVm(long deltaPages) implements HostCommand {
    }

    /** sanitise_mte_tags_memslot(): the VMAs must be contiguous and not VM_SHARED, then untagged pages are cleared. */
    record SanitiseMteTagsMemslot(long hva, long npages) implements HostCommand {
    }

    /** A stage-2 fault on a page of the VMM's memory: gfn_to_pfn, then the cache and tag maintenance it needs. */
    record FaultInPage(long hva, boolean mte, boolean cleanDcache, boolean invalidateIcache) implements HostCommand {
    }

    /** Clean+invalidate to PoC of pages (stage2_flush_memslot). */
    record CleanDcache(long hva, long npages) implements HostCommand {
    }

    /** icache_inval_all_pou(). */
    record InvalidateIcacheAll() implements HostCommand {
    }

    /** invalidate_icache_guest_page() when a permission fault adds X. */
    record InvalidateIcachePage(long hva) implements HostCommand {
    }

    /**
     * hva_to_pfn() for an x86 fault: the page must be mapped (EFAULT otherwise); a write fault, or a
     * page of a shared mapping, makes the host PTE writable. The reply's page says whether the pfn
     * may be mapped writable (map_writable).
     */
    record HvaToPfn(long hva, boolean write) implements HostCommand {
    }

    /** What the kernel does with guest_memfd folios and their direct-map entries (host/GuestMemfdFolios). */
    sealed interface FolioCommand extends HostCommand {
    }

    /** kvm_gmem_create() -> __kvm_gmem_create(): a new guest_memfd inode for {@code vm}. */
    record CreateGmem(String gmem, String vm, long size, long flags) implements FolioCommand {
    }

    /** kvm_gmem_get_pfn(): the folio at {@code index}, allocated and prepared on first use. */
    record GmemGetPfn(String gmem, long index) implements FolioCommand {
    }

    /** __kvm_{read,write}_guest_private_page() (RFC 3/8 and 6/8): the copy, under the folio lock. */
    record AccessGmemFolio(long pfn, boolean write) implements FolioCommand {
    }

    /** gpc_map() of a guest_memfd pfn: gpc_map_gmem() under the policy. */
    record GpcMapFolio(long pfn, kvmsim.domain.policy.DirectMapPolicy policy) implements FolioCommand {
    }

    /** gpc_unmap() of a guest_memfd pfn. */
    record GpcUnmapFolio(long pfn, kvmsim.domain.policy.DirectMapPolicy policy) implements FolioCommand {
    }

    /** A read or write through a gfn_to_pfn cache's kernel mapping (khva), with no lock. */
    record GpcAccessFolio(long pfn, boolean write) implements FolioCommand {
    }

    /** What the host asks of the pKVM hypervisor, and the host's own stage-2 aborts (pkvm/MemProtect). */
    sealed interface PkvmCommand extends HostCommand {
    }

    /** handle_host_mem_abort(): the host touched {@code pfn} and its stage-2 has no mapping that allows it. */
    record HostMemAbort(long pfn, kvmsim.domain.host.Access access) implements PkvmCommand {
    }

    /** kvm_pgtable_stage2_set_owner() on the host stage-2. */
    record SetOwner(long addr, long size, long ownerId) implements PkvmCommand {
    }

    /** A page-range hypercall of the host (or the hypervisor's pin/unpin) on [pfn, pfn+nrPages). */
    record PkvmCall(kvmsim.domain.host.Hvc hvc, long pfn, long nrPages) implements PkvmCommand {
    }

    /** __pkvm_host_share_guest(pfn, gfn, 1, vcpu, RWX). */
    record ShareGuest(long pfn, String vm, long gfn) implements PkvmCommand {
    }

    /** __pkvm_host_unshare_guest(gfn, 1, vm): the page is whatever the guest's stage-2 maps at gfn. */
    record UnshareGuest(String vm, long gfn) implements PkvmCommand {
    }
}
