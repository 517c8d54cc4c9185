package kvmsim.domain.kernel.mmu;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.Kernel;
import kvmsim.domain.kernel.gmem.GuestMemfd;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.policy.DirectMapPolicy;
import kvmsim.domain.vm.Gpc;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmState;

/**
 * gfn_to_pfn caches (virt/kvm/pfncache.c), with Roy's RFC (seed 001) for guest_memfd pages: a
 * private gpa is mapped from guest_memfd, and a page removed from the direct map is restored while
 * a cache holds it, as the {@code gpc-direct-map} policy says.
 */
public final class PfnCache {

    private final Gateway gw;
    private final DirectMapPolicy policy;

    public PfnCache(Gateway gw, DirectMapPolicy policy) {
        this.gw = gw;
        this.policy = policy;
    }

    /** The caches of a step's kernel code, as the run's gpc-direct-map policy has them treat guest_memfd pages. */
    public static PfnCache of(Kernel k) {
        return new PfnCache(k.gw(), DirectMapPolicy.of(k.policies()));
    }

    // kvm_gpc_activate() -> __kvm_gpc_activate()
    public Errno activate(VmState vm, String gpc, long gpa, long len) {
        if (!Gpc.validLen(gpa, Gpc.KVM_HVA_ERR_BAD, len)) {
            return Errno.EINVAL;
        }
        gw.send(EntityId.vm(vm.id()), new VmCommand.ActivateGpc(gpc, len));
        return refresh(Entity.vm(gw, vm.id()), gpc, gpa);
    }

    // kvm_gpc_refresh(gpc, len) with the length given to activate
    public Errno refresh(VmState vm, String gpc) {
        Gpc g = vm.gpc(gpc);
        if (!Gpc.validLen(g.gpa(), g.uhva(), g.len())) {
            return Errno.EINVAL;
        }
        return refresh(vm, gpc, g.gpa());
    }

    // kvm_gpc_deactivate(): inactive and invalid under gpc->lock, off the list, then gpc_unmap()
    public void deactivate(VmState vm, String gpc) {
        Gpc g = vm.gpc(gpc);
        if (!g.active()) {
            return;
        }
        gw.send(EntityId.vm(vm.id()), new VmCommand.DeactivateGpc(gpc));
        gpcUnmap(vm, g.pfn(), g.isPrivate());
    }

    /**
     * What KVM's users of a cache do (kvm_setup_guest_pvclock(), kvm_xen_*): while kvm_gpc_check()
     * fails, refresh (and give up with its errno), then use khva; trace-format.md says it reads.
     */
    public Errno access(VmState vm, String gpc) {
        Gpc g = vm.gpc(gpc);
        if (!g.check(vm.memslotGeneration())) {
            Errno e = refresh(vm, gpc);
            if (e != null) {
                return e;
            }
            g = Entity.vm(gw, vm.id()).gpc(gpc);
        }
        if (g.isPrivate()) {
            gw.send(EntityId.host(vm.host()), new HostCommand.GpcAccessFolio(g.pfn(), false));
        }
        return null;
    }

    /**
     * gfn_to_pfn_cache_invalidate_start() for the hvas behind [gpa, gpa+length): every valid cache
     * whose uhva lies there becomes invalid; its mapping stays until the next refresh or deactivate.
     */
    public static void invalidateStart(Gateway gw, VmState vm, List<X86Mmu.HvaRange> hvas) {
        List<String> hit = new ArrayList<>();
        vm.gpcs().forEach((id, g) -> {
            if (g.valid() && g.mapped() && hvas.stream().anyMatch(h -> h.contains(g.uhva()))) {
                hit.add(id);
            }
        });
        if (!hit.isEmpty()) {
            gw.send(EntityId.vm(vm.id()), new VmCommand.InvalidateGpcs(hit));
        }
    }

    // __kvm_gpc_refresh(): retranslate if the gpa or the memslots changed, remap if the page changed,
    // and unmap the old page once gpc->lock is dropped
    private Errno refresh(VmState vm, String gpc, long gpa) {
        Gpc g = vm.gpc(gpc);
        if (!g.active()) {
            return Errno.EINVAL;
        }
        long gfn = Pages.pageOf(gpa);
        long uhva = g.uhva();
        SlotGeometry slot = vm.slotForGfn(gfn);
        boolean hvaChange = false;
        if (gpa != g.gpa() || g.generation() != vm.memslotGeneration() || uhva == Gpc.KVM_HVA_ERR_BAD) {
            uhva = gpa == Gpc.INVALID_GPA || slot == null ? Gpc.KVM_HVA_ERR_BAD : slot.gfnToHva(gfn);
            if (uhva == Gpc.KVM_HVA_ERR_BAD) {
                return fail(vm, gpc, g, gpa, uhva, Errno.EFAULT);
            }
            hvaChange = uhva != g.uhva();
        }
        if (g.valid() && !hvaChange) {
            // the translation still holds: only the offset into the mapped page may change
            if (gpa != g.gpa() || g.generation() != vm.memslotGeneration()) {
                commit(vm, gpc, gpa, uhva, g.pfn(), g.isPrivate());
            }
            return null;
        }
        // hva_to_pfn_retry()
        boolean isPrivate = vm.isPrivate(gfn);
        long pfn;
        if (isPrivate) {
            if (!vm.canAccessGmem()) {
                return fail(vm, gpc, g, gpa, uhva, Errno.EFAULT); // kvm_can_access_gmem() (RFC 3/8)
            }
            pfn = GuestMemfd.kvmGmemGetPfn(gw, vm, slot, gfn);
            if (pfn < 0) {
                return fail(vm, gpc, g, gpa, uhva, Errno.EFAULT);
            }
        } else {
            // hva_to_pfn() with FOLL_WRITE: the cache is written through, so a COW is broken now
            Reply h = gw.send(EntityId.host(vm.host()), new HostCommand.HvaToPfn(uhva, true));
            if (!h.ok()) {
                return fail(vm, gpc, g, gpa, uhva, Errno.EFAULT);
            }
            if (h.events().stream().anyMatch(e -> e.event() instanceof HostEvent.HostPageMappedWritable)) {
                X86Mmu.hostPagesReplaced(gw, vm, gfn << Pages.PAGE_SHIFT, Pages.PAGE_SIZE);
            }
            pfn = Pages.pageOf(uhva);
        }
        // a new pfn is mapped; the same one keeps its khva
        if (!g.samePage(pfn, isPrivate) && isPrivate) {
            Reply m = gw.send(EntityId.host(vm.host()), new HostCommand.GpcMapFolio(pfn, policy));
            if (!m.ok()) {
                return fail(vm, gpc, g, gpa, uhva, Errno.EFAULT); // gpc_map() returned NULL
            }
        }
        commit(vm, gpc, gpa, uhva, pfn, isPrivate);
        if (g.mapped() && !g.samePage(pfn, isPrivate)) {
            gpcUnmap(vm, g.pfn(), g.isPrivate());
        }
        return null;
    }

    private void commit(VmState vm, String gpc, long gpa, long uhva, long pfn, boolean isPrivate) {
        gw.send(EntityId.vm(vm.id()),
                new VmCommand.CommitGpcRefresh(gpc, gpa, vm.memslotGeneration(), uhva, pfn, isPrivate));
    }

    // the error exit of __kvm_gpc_refresh(): invalid, pfn KVM_PFN_ERR_FAULT, khva NULL; the old page unmapped
    private Errno fail(VmState vm, String gpc, Gpc old, long gpa, long uhva, Errno errno) {
        gw.send(EntityId.vm(vm.id()), new VmCommand.FailGpcRefresh(gpc, gpa, vm.memslotGeneration(), uhva));
        if (old.mapped()) {
            gpcUnmap(vm, old.pfn(), old.isPrivate());
        }
        return errno;
    }

    // gpc_unmap(): kunmap() of a VMM page leaves nothing to record; a guest_memfd page may leave the direct map
    private void gpcUnmap(VmState vm, long pfn, boolean isPrivate) {
        if (pfn != Gpc.KVM_PFN_ERR_FAULT && isPrivate) {
            gw.send(EntityId.host(vm.host()), new HostCommand.GpcUnmapFolio(pfn, policy));
        }
    }
}
