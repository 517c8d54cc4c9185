package kvmsim.domain.kernel.kvm;

import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.kernel.dirty.DirtyRings;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vm.VmState;

/**
 * A guest access that KVM's x86 instruction emulator carries out (real mode, MMIO emulation, hosts
 * that emulate some guest modes entirely): emulator_read_write_onepage() copies guest memory with
 * kvm_vcpu_read_guest() / kvm_vcpu_write_guest(), so no SPTE is made or used and no TLB entry is
 * filled or consulted; a write marks the page dirty in a logging slot (mark_page_dirty_in_slot()),
 * a read never does. When the copy fails (no memslot, a write to a READONLY slot, no VMA behind
 * the hva) the access is MMIO, handed to userspace. An instruction fetch is a read.
 */
public final class InstructionEmulator {

    private InstructionEmulator() {
    }

    public static Outcome access(Gateway gw, VmState vm, long vcpu, GuestAccessKind kind, long gpa) {
        Outcome refused = Entity.refuseGuestStep(Entity.vcpu(gw, vm.id(), vcpu));
        if (refused != null) {
            return refused;
        }
        boolean write = kind == GuestAccessKind.WRITE;
        long gfn = Pages.pageOf(gpa);
        SlotGeometry slot = vm.slotForGfn(gfn);
        // emulator_read_write_onepage(): read_write_emulate() first, then the MMIO path if it failed
        Errno copied = KvmReadWriteGuest.copyPage(gw, vm, vcpu, gpa, 1, write);
        GuestExit exit = copied == null ? GuestExit.NONE : GuestExit.KVM_EXIT_MMIO;
        long slotId = slot == null ? -1 : slot.slot();
        long hvaPage = slot == null ? -1 : Pages.pageOf(slot.gfnToHva(gfn));
        Reply r = gw.send(EntityId.vcpu(vm.id(), vcpu), new VcpuCommand.GuestAccess(kind, gpa, slotId, hvaPage, exit,
                false, null, null));
        return r.ok() ? DirtyRings.reenterGuest(gw, vm, vcpu, Outcome.guest(null, exit)) : Outcome.of(r.errno());
    }
}
