package kvmsim.domain.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.StateMaps;
import org.pcollections.TreePMap;

/**
 * The host kernel and the VMM process on it: the VMM's VMAs, RLIMIT_MEMLOCK and mm->locked_vm,
 * and the folios behind the VMM's memory.
 *
 * @param mmapSeen once a trace has MMAP steps, memory outside them is unmapped
 * @param rlimitMemlock bytes, unsigned; -1 is RLIM_INFINITY
 * @param lockedVm mm->locked_vm, in pages
 * @param pages the VMM's pages that are not untouched, by hva page (persistent: see StateMaps)
 * @param gmem the guest_memfd inodes, by the trace's gmem id (persistent)
 * @param folios the guest_memfd folios, by pfn (persistent)
 * @param pkvm the pKVM hypervisor's view of memory, on a host with pkvm; else null
 * @param mmuNotifiers the VMs whose MMU notifier the VMM's mm holds (kvm_create_vm() registers one), in
 *     registration order: what a munmap() invalidates
 */
public record HostState(String id, boolean declared, Arch arch, HostFeatures features, List<Vma> vmas,
        boolean mmapSeen, long rlimitMemlock, long lockedVm, Map<Long, HostPage> pages, Map<String, GmemInode> gmem,
        Map<Long, Folio> folios, PkvmState pkvm, List<String> mmuNotifiers) implements EntityState {

    @Override
    public EntityId.Kind kind() {
        return EntityId.Kind.HOST;
    }

    public static final long RLIM_INFINITY = -1L;

    public HostState {
        vmas = List.copyOf(vmas);
        pages = StateMaps.sorted(pages);
        gmem = StateMaps.sorted(gmem);
        folios = StateMaps.sorted(folios);
        // a host recorded before the notifiers were kept had none registered as far as it knew
        mmuNotifiers = mmuNotifiers == null ? List.of() : List.copyOf(mmuNotifiers);
    }

    /** The first pfn kvmsim hands out for guest_memfd folios (1 GiB): pfns count up from it. */
    public static final long FIRST_GMEM_PFN = 0x40000;

    public static HostState initial(String id) {
        return new HostState(id, false, null, null, List.of(), false, RLIM_INFINITY, 0, Map.of(), Map.of(), Map.of(), null, List.of());
    }

    public HostPage page(long hvaPage) {
        return pages.getOrDefault(hvaPage, HostPage.UNTOUCHED);
    }

    /** The VMA that maps {@code address}, or null; without MMAP steps every address is private anonymous memory. */
    public Vma vmaAt(long address) {
        if (!mmapSeen) {
            return new Vma(Pages.alignDown(address), Pages.PAGE_SIZE, false, false);
        }
        for (Vma v : vmas) {
            if (v.contains(address)) {
                return v;
            }
        }
        return null;
    }

    /**
     * host_pfn_mapping_level(): the level of the host mapping of {@code hva} (a PUD leaf is 1G, a PMD
     * leaf 2M, else 4K). A huge-page VMA is aligned to its page size (MMAP), so every address of it
     * sits in a whole huge page; unmapped memory is 4K.
     */
    public kvmsim.domain.abi.PageLevel hostPfnMappingLevel(long hva) {
        Vma v = vmaAt(hva);
        return v == null ? kvmsim.domain.abi.PageLevel.PG_LEVEL_4K : v.pageSize();
    }

    /** The VMAs intersecting [start, start+length) in address order (find_vma_intersection walk). */
    public List<Vma> vmasIntersecting(long start, long length) {
        List<Vma> out = new ArrayList<>();
        for (Vma v : vmas) {
            if (v.overlaps(start, length)) {
                out.add(v);
            }
        }
        out.sort((a, b) -> Long.compareUnsigned(a.start(), b.start()));
        return out;
    }

    /** RLIMIT_MEMLOCK >> PAGE_SHIFT. */
    public long rlimitMemlockPages() {
        return rlimitMemlock == RLIM_INFINITY ? Long.MAX_VALUE : Long.divideUnsigned(rlimitMemlock, Pages.PAGE_SIZE);
    }

    HostState withVmas(List<Vma> newVmas) {
        List<Vma> sorted = new ArrayList<>(newVmas);
        sorted.sort((a, b) -> Long.compareUnsigned(a.start(), b.start()));
        return new HostState(id, declared, arch, features, sorted, true, rlimitMemlock, lockedVm, pages, gmem,
                folios, pkvm, mmuNotifiers);
    }

    HostState withPages(Map<Long, HostPage> newPages) {
        return new HostState(id, declared, arch, features, vmas, mmapSeen, rlimitMemlock, lockedVm, newPages, gmem,
                folios, pkvm, mmuNotifiers);
    }

    HostState declaredAs(Arch a, HostFeatures f, Integer pkvmOwnerBits) {
        PkvmState p = f.pkvm() ? PkvmState.initial(OwnerEncoding.ofBits(pkvmOwnerBits == null ? 8 : pkvmOwnerBits))
                : null;
        return new HostState(id, true, a, f, vmas, mmapSeen, rlimitMemlock, lockedVm, pages, gmem, folios, p, mmuNotifiers);
    }

    HostState withPkvm(PkvmState p) {
        return new HostState(id, declared, arch, features, vmas, mmapSeen, rlimitMemlock, lockedVm, pages, gmem,
                folios, p, mmuNotifiers);
    }

    HostState withMmuNotifier(String vm) {
        List<String> n = new ArrayList<>(mmuNotifiers);
        n.add(vm);
        return new HostState(id, declared, arch, features, vmas, mmapSeen, rlimitMemlock, lockedVm, pages, gmem,
                folios, pkvm, n);
    }

    HostState withRlimitMemlock(long bytes) {
        return new HostState(id, declared, arch, features, vmas, mmapSeen, bytes, lockedVm, pages, gmem, folios, pkvm, mmuNotifiers);
    }

    HostState withLockedVm(long pagesLocked) {
        return new HostState(id, declared, arch, features, vmas, mmapSeen, rlimitMemlock, pagesLocked, pages, gmem,
                folios, pkvm, mmuNotifiers);
    }

    HostState withGmem(Map<String, GmemInode> newGmem, Map<Long, Folio> newFolios) {
        return new HostState(id, declared, arch, features, vmas, mmapSeen, rlimitMemlock, lockedVm, pages, newGmem,
                newFolios, pkvm, mmuNotifiers);
    }

    /** The folio of a guest_memfd page, or null if it was never allocated. */
    public Folio gmemFolio(String gmemId, long index) {
        GmemInode inode = gmem.get(gmemId);
        Long pfn = inode == null ? null : inode.pages().get(index);
        return pfn == null ? null : folios.get(pfn);
    }

    /** The pages as the persistent map they are: changed by making a new one. */
    TreePMap<Long, HostPage> pageMap() {
        return StateMaps.sorted(pages);
    }
}
