package kvmsim.domain.kernel.arm64;

import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.memslot.Stage2Pte;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vm.VmState;

/** A guest access on arm64: through stage 2, faulting in what is missing as kvm_handle_guest_abort() does. */
public final class GuestAbort {

    private GuestAbort() {
    }

    // kvm_handle_guest_abort() -> user_mem_abort() (5.15: CMOs in the stage-2 map and attr walkers)
    public static Outcome access(Gateway gw, VmState vm, long vcpu, GuestAccessKind kind, long gpa) {
        EntityId vcpuId = EntityId.vcpu(vm.id(), vcpu);
        Outcome refused = Entity.refuseGuestStep(Entity.vcpu(gw, vm.id(), vcpu));
        if (refused != null) {
            return refused;
        }
        long gfn = Pages.pageOf(gpa);
        SlotGeometry g = vm.slotForGfn(gfn);
        if (g == null || (kind == GuestAccessKind.WRITE && g.readonly())) {
            // io_mem_abort(): no memslot, or a write to a read-only one, is MMIO for userspace
            return record(gw, vcpuId, kind, gpa, g == null ? -1 : g.slot(), -1, GuestExit.KVM_EXIT_MMIO, false, null);
        }
        long hva = g.gfnToHva(gfn);
        EntityId slotId = EntityId.slot(vm.id(), g.slot());
        MemslotState slot = Entity.slot(gw, vm.id(), g.slot());
        Stage2Pte pte = slot.pte(gfn);
        boolean write = kind == GuestAccessKind.WRITE;
        boolean exec = kind == GuestAccessKind.EXEC;
        boolean faulted = false;
        if (pte == null) {
            // translation fault: gfn_to_pfn, sanitise tags, clean D (not with FWB), invalidate I for exec
            Reply f = gw.send(EntityId.host(vm.host()),
                    new HostCommand.FaultInPage(hva, vm.hasMte(), !vm.fwb(), exec));
            if (!f.ok()) {
                Outcome out = record(gw, vcpuId, kind, gpa, g.slot(), Pages.pageOf(hva),
                        GuestExit.KVM_EXIT_MEMORY_FAULT, true, f.errno());
                gw.send(vcpuId, new VcpuCommand.RunFailed());
                return out;
            }
            gw.send(slotId, new MemslotCommand.Stage2Fault(gfn, write, exec));
            faulted = true;
        } else if ((write && !pte.writable()) || (exec && !pte.executable())) {
            // permission fault: relax the leaf; adding X invalidates the I-cache for the page
            if (exec && !pte.executable()) {
                gw.send(EntityId.host(vm.host()), new HostCommand.InvalidateIcachePage(hva));
            }
            gw.send(slotId, new MemslotCommand.Stage2Fault(gfn, write, exec));
            faulted = true;
        }
        return record(gw, vcpuId, kind, gpa, g.slot(), Pages.pageOf(hva), GuestExit.NONE, faulted, null);
    }

    private static Outcome record(Gateway gw, EntityId vcpuId, GuestAccessKind kind, long gpa, long slot,
            long hvaPage, GuestExit exit, boolean faulted, Errno errno) {
        Reply r = gw.send(vcpuId, new VcpuCommand.GuestAccess(kind, gpa, slot, hvaPage, exit, faulted, null, null));
        return Outcome.guest(r.ok() ? errno : r.errno(), exit);
    }
}
