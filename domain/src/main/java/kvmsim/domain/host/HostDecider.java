package kvmsim.domain.host;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.Event;
import kvmsim.domain.host.HostCommand.*;
import kvmsim.domain.host.HostEvent.*;
import org.pcollections.TreePMap;

/** decide/evolve for the host kernel and the VMM process. */
public final class HostDecider {

    private HostDecider() {
    }

    public static Decision decide(HostState s, HostCommand c) {
        return switch (c) {
            case Declare d -> s.declared() ? Decision.ok()
                    : Decision.accept(new HostDeclared(d.arch(), d.features(), d.pkvmOwnerBits()));
            case Mmap m -> mmap(s, m);
            case Munmap m -> munmap(s, m);
            case RegisterMmuNotifier r -> s.mmuNotifiers().contains(r.vm()) ? Decision.ok()
                    : Decision.accept(new MmuNotifierRegistered(r.vm()));
            case SetRlimitMemlock r -> Decision.accept(new RlimitMemlockSet(r.bytes()));
            case UserspaceWrite w -> userspaceWrite(s, w);
            case PinPages p -> Decision.accept(new PagesPinned(p.hva(), p.npages(), p.write()));
            case UnpinPages u -> Decision.accept(new PagesUnpinned(u.hva(), u.npages(), u.dirty()));
            case AccountLockedVm a -> accountLockedVm(s, a);
            case SanitiseMteTagsMemslot t -> sanitiseMteTagsMemslot(s, t);
            case HvaToPfn h -> hvaToPfn(s, h);
            case FaultInPage f -> faultInPage(s, f);
            case CleanDcache d -> Decision.accept(new DcacheCleaned(d.hva(), d.npages()));
            case InvalidateIcacheAll i -> Decision.accept(new IcacheInvalidatedAll());
            case InvalidateIcachePage i -> Decision.accept(new IcacheInvalidated(Pages.alignDown(i.hva()), 1));
            case FolioCommand f -> GuestMemfdFolios.decide(s, f);
            case PkvmCommand p -> {
                if (s.pkvm() == null) {
                    throw new IllegalStateException("host " + s.id() + " has no pKVM: the trace parser refuses " + p);
                }
                yield MemProtect.decide(s.pkvm(), HostMemory.of(s.features().memory()), p);
            }
        };
    }

    // do_mmap() as a VMM uses it: MAP_FIXED_NOREPLACE at a page-aligned address (EINVAL per trace-format.md);
    // huge pages: ksys_mmap_pgoff() rounds a MAP_HUGETLB length up to the huge page size, and
    // hugetlb_get_unmapped_area() refuses a fixed address not aligned to it (EINVAL)
    private static Decision mmap(HostState s, Mmap m) {
        long huge = m.pageSize().bytes();
        if (!Pages.aligned(m.hva()) || !Pages.aligned(m.length()) || m.length() == 0
                || Pages.addOverflows(m.hva(), m.length()) || (m.hva() & (huge - 1)) != 0) {
            return Decision.reject(Errno.EINVAL);
        }
        long length = (m.length() + huge - 1) & -huge;
        if (length == 0 || Pages.addOverflows(m.hva(), length)) {
            return Decision.reject(Errno.EINVAL);
        }
        for (Vma v : s.vmas()) {
            if (v.overlaps(m.hva(), length)) {
                return Decision.reject(Errno.EINVAL);
            }
        }
        return Decision.accept(new VmaMapped(m.hva(), length, m.shared(), m.protMte(), m.pageSize()));
    }

    // __vm_munmap(): unaligned start or zero length is EINVAL; unmapping a hole is fine; a cut inside a
    // huge-page VMA off its page size is EINVAL (__split_vma() -> hugetlb_vm_op_split())
    private static Decision munmap(HostState s, Munmap m) {
        if (!Pages.aligned(m.hva()) || m.length() == 0 || Pages.addOverflows(m.hva(), m.length())) {
            return Decision.reject(Errno.EINVAL);
        }
        long length = Pages.alignUp(m.length());
        for (Vma v : s.vmas()) {
            long mask = v.pageSize().bytes() - 1;
            if (v.overlaps(m.hva(), length) && (cutsAt(v, m.hva()) && (m.hva() & mask) != 0
                    || cutsAt(v, m.hva() + length) && ((m.hva() + length) & mask) != 0)) {
                return Decision.reject(Errno.EINVAL);
            }
        }
        return Decision.accept(new VmaUnmapped(m.hva(), length));
    }

    // the address lies strictly inside the VMA: unmapping there splits it
    private static boolean cutsAt(Vma v, long address) {
        return Long.compareUnsigned(address, v.start()) > 0 && Long.compareUnsigned(address, v.end()) < 0;
    }

    private static Decision userspaceWrite(HostState s, UserspaceWrite w) {
        List<Long> tagsInitialised = new ArrayList<>();
        long first = Pages.pageOf(w.hva());
        long last = Pages.pageOf(w.hva() + w.length() - 1);
        for (long p = first; p <= last; p++) {
            Vma v = s.vmaAt(p << Pages.PAGE_SHIFT);
            if (v == null) {
                return Decision.reject(Errno.EFAULT); // the VMM's own store faults: SIGSEGV, seen as EFAULT
            }
            if (v.protMte() && !s.page(p).mteTagged()) {
                tagsInitialised.add(p);
            }
        }
        return Decision.accept(new UserspaceWrote(w.hva(), w.length(), tagsInitialised));
    }

    // account_locked_vm(): the authoritative RLIMIT_MEMLOCK check for an unprivileged VMM
    private static Decision accountLockedVm(HostState s, AccountLockedVm a) {
        long after = s.lockedVm() + a.deltaPages();
        if (a.deltaPages() > 0 && after > s.rlimitMemlockPages()) {
            return Decision.reject(Errno.ENOMEM);
        }
        return Decision.accept(new LockedVmAccounted(a.deltaPages(), after));
    }

    // sanitise_mte_tags_memslot() (v5 06/38): walk the VMAs first, then clear the tags of untagged pages
    private static Decision sanitiseMteTagsMemslot(HostState s, SanitiseMteTagsMemslot t) {
        long end = t.hva() + t.npages() * Pages.PAGE_SIZE;
        if (s.mmapSeen()) {
            long hva = t.hva();
            for (Vma v : s.vmasIntersecting(t.hva(), end - t.hva())) {
                if (Long.compareUnsigned(v.start(), hva) > 0) {
                    return Decision.reject(Errno.EFAULT); // the VMAs spanning the memslot must be contiguous
                }
                if (v.shared()) {
                    return Decision.reject(Errno.EFAULT); // VM_SHARED is not allowed with MTE
                }
                hva = v.end();
                if (Long.compareUnsigned(hva, end) >= 0) {
                    break;
                }
            }
            if (Long.compareUnsigned(hva, end) < 0) {
                return Decision.reject(Errno.EFAULT);
            }
        }
        List<Long> cleared = new ArrayList<>();
        for (long p = Pages.pageOf(t.hva()); p < Pages.pageOf(end); p++) {
            if (!s.page(p).mteTagged()) {
                cleared.add(p);
            }
        }
        return cleared.isEmpty() ? Decision.ok() : Decision.accept(new MteTagsSanitised(cleared));
    }

    // user_mem_abort() (5.15): gfn_to_pfn, sanitise_mte_tags (EFAULT on VM_SHARED), then the map walker's CMOs
    private static Decision faultInPage(HostState s, FaultInPage f) {
        Vma v = s.vmaAt(f.hva());
        if (v == null) {
            return Decision.reject(Errno.EFAULT);
        }
        long page = Pages.pageOf(f.hva());
        List<Event> events = new ArrayList<>();
        if (f.mte()) {
            if (v.shared()) {
                return Decision.reject(Errno.EFAULT); // "Check the VMM hasn't introduced a new VM_SHARED VMA"
            }
            if (!s.page(page).mteTagged()) {
                events.add(new MteTagsSanitised(List.of(page)));
            }
        }
        if (f.cleanDcache()) {
            events.add(new DcacheCleaned(page << Pages.PAGE_SHIFT, 1));
        }
        if (f.invalidateIcache()) {
            events.add(new IcacheInvalidated(page << Pages.PAGE_SHIFT, 1));
        }
        return Decision.accept(events);
    }

    // hva_to_pfn(): get_user_pages with FOLL_WRITE for a write fault; a read fault gets a writable pfn
    // only if the page is already mapped writable (hva_to_pfn_fast) or the mapping is shared
    private static Decision hvaToPfn(HostState s, HvaToPfn h) {
        Vma v = s.vmaAt(h.hva());
        if (v == null) {
            return Decision.reject(Errno.EFAULT); // KVM_PFN_ERR_FAULT -> kvm_handle_error_pfn()
        }
        long page = Pages.pageOf(h.hva());
        if (!s.page(page).writable() && (h.write() || v.shared())) {
            return Decision.accept(new HostPageMappedWritable(page));
        }
        return Decision.ok();
    }

    public static HostState evolve(HostState s, HostEvent e) {
        return switch (e) {
            case FolioEvent f -> GuestMemfdFolios.evolve(s, f);
            case PkvmEvent p -> s.withPkvm(s.pkvm().evolve(p));
            case HostDeclared d -> s.declaredAs(d.arch(), d.features(), d.pkvmOwnerBits());
            case VmaMapped m -> {
                List<Vma> vmas = new ArrayList<>(s.vmas());
                vmas.add(new Vma(m.hva(), m.length(), m.shared(), m.protMte(), m.pageSize()));
                yield s.withVmas(vmas);
            }
            case MmuNotifierRegistered r -> s.withMmuNotifier(r.vm());
            case VmaUnmapped u -> writable(s.withVmas(punch(s.vmas(), u.hva(), u.length())), u.hva(), u.length(), false);
            case RlimitMemlockSet r -> s.withRlimitMemlock(r.bytes());
            case UserspaceWrote w -> writable(tag(s, w.tagsInitialised()), w.hva(), w.length(), true);
            case HostPageMappedWritable m -> writable(s, m.hvaPage() << Pages.PAGE_SHIFT, Pages.PAGE_SIZE, true);
            case PagesPinned p -> pin(s, p.hva(), p.npages(), +1);
            case PagesUnpinned u -> pin(s, u.hva(), u.npages(), -1);
            case LockedVmAccounted a -> s.withLockedVm(a.lockedVm());
            case MteTagsSanitised t -> tag(s, t.hvaPages());
            // cache maintenance leaves no trace in the host's state: the auditor reads it from the events
            case DcacheCleaned d -> s;
            case IcacheInvalidated i -> s;
            case IcacheInvalidatedAll i -> s;
        };
    }

    private static List<Vma> punch(List<Vma> vmas, long start, long length) {
        long end = start + length;
        List<Vma> out = new ArrayList<>();
        for (Vma v : vmas) {
            if (!v.overlaps(start, length)) {
                out.add(v);
                continue;
            }
            if (Long.compareUnsigned(v.start(), start) < 0) {
                out.add(new Vma(v.start(), start - v.start(), v.shared(), v.protMte(), v.pageSize()));
            }
            if (Long.compareUnsigned(end, v.end()) < 0) {
                out.add(new Vma(end, v.end() - end, v.shared(), v.protMte(), v.pageSize()));
            }
        }
        return out;
    }

    private static HostState pin(HostState s, long hva, long npages, int delta) {
        List<Long> range = new ArrayList<>();
        long first = Pages.pageOf(hva);
        for (long p = first; p < first + npages; p++) {
            range.add(p);
        }
        return updatePages(s, range, page -> page.withPins(delta));
    }

    /** The VMM's PTEs of [hva, hva+length) become writable (a write) or go away (munmap). */
    private static HostState writable(HostState s, long hva, long length, boolean w) {
        if (length == 0) {
            return s;
        }
        long first = Pages.pageOf(hva);
        long last = Pages.pageOf(hva + length - 1);
        // a write touches every page; an unmap only pages that exist
        List<Long> touched = new ArrayList<>();
        if (w) {
            for (long p = first; p <= last; p++) {
                touched.add(p);
            }
        } else {
            touched.addAll(s.pageMap().subMap(first, true, last, true).keySet());
        }
        return updatePages(s, touched, page -> page.withWritable(w));
    }

    /** Applies f to each page; a page that ends up untouched leaves the map, so the state stays canonical. */
    private static HostState updatePages(HostState s, List<Long> hvaPages,
            java.util.function.UnaryOperator<HostPage> f) {
        TreePMap<Long, HostPage> pages = s.pageMap();
        for (long p : hvaPages) {
            HostPage page = f.apply(pages.getOrDefault(p, HostPage.UNTOUCHED));
            pages = page.equals(HostPage.UNTOUCHED) ? pages.minus(p) : pages.plus(p, page);
        }
        return s.withPages(pages);
    }

    private static HostState tag(HostState s, List<Long> hvaPages) {
        if (hvaPages.isEmpty()) {
            return s;
        }
        TreePMap<Long, HostPage> pages = s.pageMap();
        for (long p : hvaPages) {
            pages = pages.plus(p, pages.getOrDefault(p, HostPage.UNTOUCHED).tagged());
        }
        return s.withPages(pages);
    }
}
