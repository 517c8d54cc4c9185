package kvmsim.domain.kernel.mmu;

import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.PageLevel;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostState;
import kvmsim.domain.host.MmuMode;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.kernel.dirty.DirtyRings;
import kvmsim.domain.kernel.gmem.GuestMemfd;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.memslot.Spte;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.GuestPte;
import kvmsim.domain.vcpu.TlbEntry;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.RemoteTlbFlush;
import kvmsim.domain.vm.VmState;

/**
 * A guest access on x86: the vCPU's TLB first; on a miss the hardware walks the SPTE, and an EPT
 * violation goes to kvm_mmu_page_fault(): fast_page_fault() when it can fix the SPTE without
 * mmu_lock, else direct_page_fault(), which faults the page in from the host and makes a new SPTE.
 * Under shadow paging (HOST mmu shadow) FNAME(page_fault) walks the guest's PTE first, and its W and
 * D bits decide whether the new SPTE is writable.
 */
public final class PageFault {

    private PageFault() {
    }

    /** An access with guest paging off, or through a leaf gPTE with W and D set. */
    public static Outcome access(Gateway gw, VmState vm, long vcpu, GuestAccessKind kind, long gpa) {
        return access(gw, vm, vcpu, kind, gpa, GuestPte.WRITABLE_DIRTY);
    }

    /** @param gpte the guest's leaf PTE: read on a fault under shadow paging, ignored under TDP */
    public static Outcome access(Gateway gw, VmState vm, long vcpu, GuestAccessKind kind, long gpa, GuestPte gpte) {
        EntityId vcpuId = EntityId.vcpu(vm.id(), vcpu);
        VcpuState v = Entity.vcpu(gw, vm.id(), vcpu);
        Outcome refused = Entity.refuseGuestStep(v);
        if (refused != null) {
            return refused;
        }
        boolean write = kind == GuestAccessKind.WRITE;
        long gfn = Pages.pageOf(gpa);
        SlotGeometry g = vm.slotForGfn(gfn);
        if (g == null) {
            // no memslot: an MMIO SPTE, emulated and handed to userspace
            return record(gw, vcpuId, kind, gpa, -1, -1, GuestExit.KVM_EXIT_MMIO, false, false, null, null);
        }
        long hvaPage = Pages.pageOf(g.gfnToHva(gfn));
        TlbEntry cached = v.tlbEntry(gfn);
        if (cached != null && (!write || cached.writable())) {
            return record(gw, vcpuId, kind, gpa, g.slot(), hvaPage, GuestExit.NONE, false, true, null, null);
        }
        EntityId slotId = EntityId.slot(vm.id(), g.slot());
        MemslotState slot = Entity.slot(gw, vm.id(), g.slot());
        Spte spte = slot.spte(gfn);
        if (spte != null && spte.allows(write)) {
            // the walk succeeds: no exit, the TLB caches the translation
            return record(gw, vcpuId, kind, gpa, g.slot(), hvaPage, GuestExit.NONE, false, false,
                    TlbEntry.filled(spte.writable(), write, vm.adBits()), null);
        }
        if (write && g.readonly()) {
            // kvm_faultin_pfn(): KVM_PFN_ERR_RO_FAULT -> RET_PF_EMULATE: a write to ROM is MMIO for userspace
            return record(gw, vcpuId, kind, gpa, g.slot(), hvaPage, GuestExit.KVM_EXIT_MMIO, false, false, null,
                    null);
        }
        if (spte != null && spte.fastPageFault(write, vm.adBits(), g.logsDirtyPages()) != null) {
            Reply fast = gw.send(slotId, new MemslotCommand.FastPageFault(gfn, write, vm.adBits()));
            DirtyRings.spteMadeWritable(gw, vm, vcpu, g, fast);
            Spte fixed = Entity.slot(gw, vm.id(), g.slot()).spte(gfn);
            return DirtyRings.reenterGuest(gw, vm, vcpu, record(gw, vcpuId, kind, gpa, g.slot(), hvaPage,
                    GuestExit.NONE, true, false, TlbEntry.filled(fixed.writable(), write, vm.adBits()), null));
        }
        if (vm.isPrivate(gfn)) {
            return DirtyRings.reenterGuest(gw, vm, vcpu, faultinPfnPrivate(gw, vm, vcpu, kind, gpa, g, write));
        }
        // direct_page_fault() -> kvm_faultin_pfn() -> hva_to_pfn(), then make_spte() with map_writable
        Reply h = gw.send(EntityId.host(vm.host()), new HostCommand.HvaToPfn(g.gfnToHva(gfn), write));
        if (!h.ok()) {
            // kvm_handle_error_pfn(): kvm_mmu_prepare_memory_fault_exit(), KVM_RUN returns -EFAULT
            Outcome out = record(gw, vcpuId, kind, gpa, g.slot(), hvaPage, GuestExit.KVM_EXIT_MEMORY_FAULT, true,
                    false, null, h.errno());
            gw.send(vcpuId, new VcpuCommand.RunFailed());
            return out;
        }
        HostState host = Entity.host(gw, vm.host());
        boolean mapWritable = host.page(hvaPage).writable();
        PageLevel level = HugePages.kvmMmuHugepageAdjust(vm, host, g, gfn);
        // a huge SPTE that replaces a page table: kvm_flush_remote_tlbs_gfn() in tdp_mmu_map_handle_target_level()
        boolean replacesTable = level != PageLevel.PG_LEVEL_4K
                && slot.sptesIn(level.alignDown(gfn), level.pages()).values().stream().anyMatch(x -> x.level() != level);
        Reply slow = gw.send(slotId, new MemslotCommand.MakeSpte(gfn, mapWritable,
                accWrite(host.features().mmu(), gpte, write), level));
        if (replacesTable) {
            RemoteTlbFlush.kvmFlushRemoteTlbs(gw, vm.id(), "huge-page-replaces-table");
        }
        DirtyRings.spteMadeWritable(gw, vm, vcpu, g, slow);
        Spte made = Entity.slot(gw, vm.id(), g.slot()).spte(gfn);
        return DirtyRings.reenterGuest(gw, vm, vcpu, record(gw, vcpuId, kind, gpa, g.slot(), hvaPage, GuestExit.NONE,
                true, false, TlbEntry.filled(made.writable(), write, vm.adBits()), null));
    }

    /**
     * ACC_WRITE_MASK of the pte_access a fault hands to make_spte(). TDP maps with ACC_ALL (the guest's
     * page tables are not read). Shadow paging takes W from the gPTE: a read fault keeps it only if the
     * leaf gPTE is dirty too, FNAME(protect_clean_gpte)(); a write fault has FNAME(update_accessed_dirty_bits)()
     * set D and keeps W (kvmsim has no guest page-table gfn, so that PT page is not marked dirty).
     */
    static boolean accWrite(MmuMode mmu, GuestPte gpte, boolean write) {
        if (mmu != MmuMode.SHADOW) {
            return true; // kvm_tdp_page_fault(): make_spte(..., ACC_ALL, ...)
        }
        // FNAME(protect_clean_gpte)() on a read; FNAME(update_accessed_dirty_bits)() sets D on a write
        return gpte.writable() && (write || gpte.dirty());
    }

    // kvm_mmu_faultin_pfn_private(): a private gfn is backed by guest_memfd or not at all; the new
    // folio may leave the host's direct map (KVM_GMEM_NO_DIRECT_MAP), the guest maps it all the same
    private static Outcome faultinPfnPrivate(Gateway gw, VmState vm, long vcpu, GuestAccessKind kind,
            long gpa, SlotGeometry g, boolean write) {
        EntityId vcpuId = EntityId.vcpu(vm.id(), vcpu);
        long gfn = Pages.pageOf(gpa);
        long pfn = GuestMemfd.kvmGmemGetPfn(gw, vm, g, gfn);
        if (pfn < 0) {
            // !kvm_slot_has_gmem() or kvm_gmem_get_pfn() failed: kvm_mmu_prepare_memory_fault_exit()
            Outcome out = record(gw, vcpuId, kind, gpa, g.slot(), -1, GuestExit.KVM_EXIT_MEMORY_FAULT, true, false,
                    null, Errno.EFAULT);
            gw.send(vcpuId, new VcpuCommand.RunFailed());
            return out;
        }
        // the guest_memfd pfn is writable: make_spte() maps it writable unless the slot is read-only
        Reply faulted = gw.send(EntityId.slot(vm.id(), g.slot()), new MemslotCommand.MakeSpte(gfn, true));
        DirtyRings.spteMadeWritable(gw, vm, vcpu, g, faulted);
        Spte made = Entity.slot(gw, vm.id(), g.slot()).spte(gfn);
        return record(gw, vcpuId, kind, gpa, g.slot(), -1, GuestExit.NONE, true, false,
                TlbEntry.filled(made.writable(), write, vm.adBits()), null);
    }

    private static Outcome record(Gateway gw, EntityId vcpuId, GuestAccessKind kind, long gpa, long slot,
            long hvaPage, GuestExit exit, boolean faulted, boolean tlbHit, TlbEntry fill, Errno errno) {
        Reply r = gw.send(vcpuId, new VcpuCommand.GuestAccess(kind, gpa, slot, hvaPage, exit, faulted, tlbHit, fill));
        return r.ok() ? Outcome.guest(errno, exit, tlbHit) : Outcome.of(r.errno());
    }
}
