package kvmsim.domain.kernel.mmu;

import java.util.HashMap;
import java.util.Map;
import kvmsim.domain.abi.PageLevel;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.host.HostState;
import kvmsim.domain.host.MmuMode;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.memslot.LazyHugeProtect;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vm.VmState;

/**
 * The level a TDP fault maps at (arch/x86/kvm/mmu/mmu.c): the largest that the slot's lpage_info,
 * the memory attributes and the host mapping allow. Shadow paging maps 4K only in kvmsim.
 */
public final class HugePages {

    private HugePages() {
    }

    /** max_huge_page_level with EPT/NPT that support 1G pages, and KVM_MAX_HUGEPAGE_LEVEL. */
    static final PageLevel MAX_HUGE_PAGE_LEVEL = PageLevel.PG_LEVEL_1G;

    // kvm_mmu_hugepage_adjust(): the goal level of a fault on gfn of a shared (not private) page
    static PageLevel kvmMmuHugepageAdjust(VmState vm, HostState host, SlotGeometry slot, long gfn) {
        if (host.features().mmu() != MmuMode.TDP) {
            return PageLevel.PG_LEVEL_4K; // kvmsim leaves shadow paging's huge pages unmodelled (model.md)
        }
        if (slot.logsDirtyPages()) {
            return PageLevel.PG_LEVEL_4K; // kvm_slot_dirty_track_enabled(): dirty logging is at 4K
        }
        return kvmMmuMaxMappingLevel(vm, host, slot, gfn);
    }

    // __kvm_mmu_max_mapping_level(): the largest level whose lpage_info allows it, capped by the host mapping
    static PageLevel kvmMmuMaxMappingLevel(VmState vm, HostState host, SlotGeometry slot, long gfn) {
        PageLevel max = MAX_HUGE_PAGE_LEVEL;
        while (max != PageLevel.PG_LEVEL_4K && disallowLpage(vm, slot, gfn, max)) {
            max = PageLevel.values()[max.ordinal() - 1];
        }
        if (max == PageLevel.PG_LEVEL_4K) {
            return max;
        }
        return PageLevel.min(max, host.hostPfnMappingLevel(slot.gfnToHva(gfn)));
    }

    /**
     * lpage_info_slot(gfn, slot, level)->disallow_lpage != 0: kvm_alloc_memslot_metadata() disallows the
     * frames the slot does not wholly cover and, when gpa and hva are not congruent modulo the level, every
     * frame; KVM_LPAGE_MIXED_FLAG (hugepage_has_attrs()) a frame of mixed memory attributes.
     */
    static boolean disallowLpage(VmState vm, SlotGeometry slot, long gfn, PageLevel level) {
        long pages = level.pages();
        long frame = level.alignDown(gfn);
        long base = slot.baseGfn();
        if (Long.compareUnsigned(frame, base) < 0 || Long.compareUnsigned(frame + pages, base + slot.npages()) > 0) {
            return true;
        }
        long ugfn = Pages.pageOf(slot.hva());
        if (((base ^ ugfn) & (pages - 1)) != 0) {
            return true;
        }
        return vm.hasPrivateMem() && !vm.attributes().uniformly(frame, frame + pages, vm.isPrivate(frame));
    }

    /**
     * kvm_mmu_max_mapping_level() at the first gfn of every 2M and 1G frame of the slot that holds the
     * first gfn of an SPTE (a frame inside a larger leaf is not recovered): what
     * kvm_mmu_recover_huge_pages() asks before it makes a frame huge.
     */
    static Map<Long, PageLevel> maxLevelsOfMappedFrames(VmState vm, HostState host, SlotGeometry slot,
            MemslotState s) {
        Map<Long, PageLevel> out = new HashMap<>();
        for (long g : s.sptes().keySet()) {
            for (PageLevel level : new PageLevel[] {PageLevel.PG_LEVEL_2M, PageLevel.PG_LEVEL_1G}) {
                long frame = level.alignDown(g);
                if (slot.containsGfn(frame) && !out.containsKey(frame)) {
                    out.put(frame, kvmMmuMaxMappingLevel(vm, host, slot, frame));
                }
            }
        }
        return out;
    }

    /**
     * kvm_dirty_log_manual_protect_and_init_set() and eager_page_split: what KVM_CLEAR_DIRTY_LOG and a
     * dirty-ring reset do to huge SPTEs before write-protecting 4K ones.
     */
    public static LazyHugeProtect lazyHugeProtect(Gateway gw, VmState vm) {
        if (!vm.manualProtectAndInitSet()) {
            return LazyHugeProtect.NONE;
        }
        HostState host = Entity.host(gw, vm.host());
        // kvm_mmu_try_split_huge_pages() returns at once unless the TDP MMU is on
        return host.features().eagerPageSplit() && host.features().mmu() == MmuMode.TDP ? LazyHugeProtect.SPLIT
                : LazyHugeProtect.WRITE_PROTECT;
    }
}
