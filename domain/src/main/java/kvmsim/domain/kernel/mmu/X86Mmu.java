package kvmsim.domain.kernel.mmu;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostState;
import kvmsim.domain.host.MmuMode;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.memslot.MemslotChange;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.vm.RemoteTlbFlush;
import kvmsim.domain.vm.VmState;

/** The x86 MMU's side of memslot updates and of the host's MMU notifiers. */
public final class X86Mmu {

    private X86Mmu() {
    }

    /** A gfn range of one memslot: what the kernel's kvm_gfn_range names. */
    record GfnRange(long slot, long firstGfn, long count) {
    }

    /** Host virtual addresses [start, end): what an MMU notifier names. */
    public record HvaRange(long start, long end) {
        public boolean contains(long hva) {
            return Long.compareUnsigned(hva, start) >= 0 && Long.compareUnsigned(hva, end) < 0;
        }
    }

    // kvm_mmu_slot_apply_flags() (arch/x86/kvm/x86.c), called from kvm_arch_commit_memory_region()
    public static void kvmMmuSlotApplyFlags(Gateway gw, Policies policies, VmState vm, SlotGeometry old,
            SlotGeometry updated, MemslotChange change) {
        if (change != MemslotChange.KVM_MR_FLAGS_ONLY || updated.readonly()) {
            return;
        }
        if (old.logsDirtyPages() == updated.logsDirtyPages()) {
            return;
        }
        HostState host = Entity.host(gw, vm.host());
        boolean tdpMmu = host.features().mmu() == MmuMode.TDP;
        if (!updated.logsDirtyPages()) {
            // kvm_mmu_recover_huge_pages() (6.12+): the TDP MMU makes frames huge again in place; under
            // shadow paging kvmsim maps 4K only, so the rmap's zap of collapsible SPTEs finds nothing
            if (tdpMmu) {
                MemslotState slot = Entity.slot(gw, vm.id(), updated.slot());
                Reply rec = gw.send(EntityId.slot(vm.id(), updated.slot()), new MemslotCommand.RecoverHugePages(
                        HugePages.maxLevelsOfMappedFrames(vm, host, updated, slot)));
                if (!rec.events().isEmpty()) {
                    RemoteTlbFlush.kvmFlushRemoteTlbs(gw, vm.id(), "recover-huge-pages");
                }
            }
            return;
        }
        if (vm.manualProtectAndInitSet()) {
            return; // every page counts as dirty: nothing to write-protect or split, no flush
        }
        // eager_page_split: kvm_mmu_slot_try_split_huge_pages() returns at once unless the TDP MMU is on
        Reply r = gw.send(EntityId.slot(vm.id(), updated.slot()),
                new MemslotCommand.RemoveWriteAccess(tdpMmu && host.features().eagerPageSplit()));
        boolean modified = r.events().stream().anyMatch(
                e -> e.event() instanceof MemslotEvent.SlotWriteProtected w && !w.changed().isEmpty());
        // b64d740: flush unconditionally; before it, only if an SPTE lost W, which misses access-tracked
        // SPTEs whose stale TLB entries are still writable
        if (policies.dirtyLogFlushUnconditional() || modified) {
            RemoteTlbFlush.kvmFlushRemoteTlbs(gw, vm.id(), "enable-dirty-logging");
        }
    }

    /** The guest physical address width of kvm_mmu_max_gfn() under shadow paging (confirmed on Linux 6.18). */
    public static final int MAX_GPA_BITS = 52;
    /** kvm_mmu_max_gfn(). */
    public static final long MAX_GFN = Pages.pagesIn(MAX_GPA_BITS) - 1;

    // kvm_arch_prepare_memory_region() (x86): a new or moved slot must end below kvm_mmu_max_gfn()
    public static Errno kvmArchPrepareMemoryRegion(MemslotChange change, SlotGeometry slot) {
        if (change == MemslotChange.KVM_MR_CREATE || change == MemslotChange.KVM_MR_MOVE) {
            if (Long.compareUnsigned(slot.baseGfn() + slot.npages() - 1, MAX_GFN) > 0) {
                return Errno.EINVAL;
            }
        }
        return null;
    }

    /**
     * The VMM wrote pages that a read fault had mapped from the shared zero page: the write fault
     * replaced the page behind those hvas (wp_page_copy() -> mmu_notifier_invalidate_range_start()),
     * so KVM zaps the SPTEs that point at the old one and flushes.
     */
    public static void hostPagesReplaced(Gateway gw, VmState vm, long gpa, long length) {
        boolean zapped = false;
        for (GfnRange r : rangesOf(vm, gpa, length)) {
            EntityId slotId = EntityId.slot(vm.id(), r.slot());
            MemslotState slot = Entity.slot(gw, vm.id(), r.slot());
            var inRange = slot.sptesIn(r.firstGfn(), r.count());
            for (var entry : inRange.entrySet()) {
                long gfn = Math.max(entry.getKey(), r.firstGfn()); // a huge leaf may start before the range
                if (!entry.getValue().hostWritable()) {
                    zapped |= !gw.send(slotId, new MemslotCommand.ZapGfnRange(gfn, 1)).events().isEmpty();
                }
            }
        }
        if (zapped) {
            RemoteTlbFlush.kvmFlushRemoteTlbs(gw, vm.id(), "host-page-replaced");
        }
    }

    // kvm_arch_flush_shadow_memslot() -> kvm_mmu_zap_memslot(): before a DELETE or MOVE is committed
    public static void kvmArchFlushShadowMemslot(Gateway gw, VmState vm, SlotGeometry slot) {
        Reply r = gw.send(EntityId.slot(vm.id(), slot.slot()),
                new MemslotCommand.ZapGfnRange(slot.baseGfn(), slot.npages()));
        if (!r.events().isEmpty()) {
            RemoteTlbFlush.kvmFlushRemoteTlbs(gw, vm.id(), "zap-memslot");
        }
    }

    // kvm_mmu_notifier_clear_young() -> kvm_handle_hva_range_no_flush(kvm_age_gfn): no TLB flush, on purpose
    public static Errno clearYoung(Gateway gw, VmState vm, long gpa, long length) {
        if (vm.adBits()) {
            return null; // the Accessed bits are cleared; kvmsim does not model them, and nothing else changes
        }
        for (GfnRange r : rangesOf(vm, gpa, length)) {
            gw.send(EntityId.slot(vm.id(), r.slot()), new MemslotCommand.AccessTrackGfnRange(r.firstGfn(), r.count()));
        }
        return null;
    }

    // kvm_mmu_notifier_invalidate_range_start(): the pfn caches first (before mmu_lock), then
    // kvm_unmap_gfn_range() with flush_on_ret: flush if anything was zapped
    public static Errno invalidateRange(Gateway gw, VmState vm, long gpa, long length) {
        invalidateHvaRanges(gw, vm, hvaRangesOf(vm, gpa, length));
        return null;
    }

    /** The same for ranges of the VMM's address space, as a munmap() of them reaches the VM's notifier. */
    public static void invalidateHvaRanges(Gateway gw, VmState vm, List<HvaRange> hvaRanges) {
        PfnCache.invalidateStart(gw, vm, hvaRanges);
        unmapAndFlush(gw, vm, gfnRangesOf(vm, hvaRanges), "mmu-notifier-invalidate");
    }

    // kvm_unmap_gfn_range() over each range, then one kvm_flush_remote_tlbs() if anything was zapped
    private static void unmapAndFlush(Gateway gw, VmState vm, List<GfnRange> ranges, String reason) {
        boolean zapped = false;
        for (GfnRange r : ranges) {
            Reply z = gw.send(EntityId.slot(vm.id(), r.slot()), new MemslotCommand.ZapGfnRange(r.firstGfn(),
                    r.count()));
            zapped |= !z.events().isEmpty();
        }
        if (zapped) {
            RemoteTlbFlush.kvmFlushRemoteTlbs(gw, vm.id(), reason);
        }
    }

    // kvm_vm_set_mem_attributes() -> kvm_handle_gfn_range(pre_set_range): kvm_unmap_gfn_range() of
    // [start, end) in every address space, flush_on_ret
    public static void unmapGfnRange(Gateway gw, VmState vm, long start, long end, String reason) {
        List<GfnRange> ranges = new ArrayList<>();
        List<SlotGeometry> slots = new ArrayList<>(vm.slots().values());
        slots.sort((a, b) -> Long.compare(a.slot(), b.slot()));
        for (SlotGeometry g : slots) {
            long from = Math.max(start, g.baseGfn());
            long to = Math.min(end, g.baseGfn() + g.npages());
            if (from < to) {
                ranges.add(new GfnRange(g.slot(), from, to - from));
            }
        }
        unmapAndFlush(gw, vm, ranges, reason);
    }

    /** The VMM addresses behind the guest physical range [gpa, gpa+length) of address space 0. */
    public static List<HvaRange> hvaRangesOf(VmState vm, long gpa, long length) {
        List<HvaRange> hvaRanges = new ArrayList<>();
        if (length == 0) {
            return hvaRanges;
        }
        long firstGfn = Pages.pageOf(gpa);
        long lastGfn = Pages.pageOf(gpa + length - 1);
        for (SlotGeometry g : vm.slots().values()) {
            if (g.asId() != 0) {
                continue;
            }
            long from = Math.max(firstGfn, g.baseGfn());
            long to = Math.min(lastGfn + 1, g.baseGfn() + g.npages());
            if (from < to) {
                hvaRanges.add(new HvaRange(g.gfnToHva(from), g.gfnToHva(to)));
            }
        }
        return hvaRanges;
    }

    /**
     * MMU notifiers name host virtual addresses; a trace names them by the guest physical range of
     * address space 0 they back. Every memslot (in any address space) over those hvas is affected.
     */
    static List<GfnRange> rangesOf(VmState vm, long gpa, long length) {
        return gfnRangesOf(vm, hvaRangesOf(vm, gpa, length));
    }

    // kvm_handle_hva_range(): the gfns of every memslot, in any address space, that maps one of the hvas
    static List<GfnRange> gfnRangesOf(VmState vm, List<HvaRange> hvaRanges) {
        List<GfnRange> out = new ArrayList<>();
        List<SlotGeometry> slots = new ArrayList<>(vm.slots().values());
        slots.sort((a, b) -> Long.compare(a.slot(), b.slot()));
        for (SlotGeometry g : slots) {
            long slotStart = g.hva();
            long slotEnd = g.hva() + (g.npages() << Pages.PAGE_SHIFT);
            for (HvaRange h : hvaRanges) {
                long from = Math.max(h.start(), slotStart);
                long to = Math.min(h.end(), slotEnd);
                if (Long.compareUnsigned(from, to) < 0) {
                    long first = g.baseGfn() + ((from - slotStart) >>> Pages.PAGE_SHIFT);
                    out.add(new GfnRange(g.slot(), first, (to - from) >>> Pages.PAGE_SHIFT));
                }
            }
        }
        return out;
    }
}
