package kvmsim.domain.kernel.host;

import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.mmu.X86Mmu;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.vm.VmState;

/** What the VMM process does to guest memory by itself, through its own mapping. */
public final class VmmProcess {

    private VmmProcess() {
    }

    // the VMM's own store into guest memory: gpa -> memslot -> hva, then the host's page tables
    public static Errno userspaceWrite(Gateway gw, VmState vm, long gpa, long length) {
        if (length == 0) {
            return null;
        }
        SlotGeometry g = vm.slotForGfn(Pages.pageOf(gpa));
        long lastGfn = Pages.pageOf(gpa + length - 1);
        if (g == null || Pages.addOverflows(gpa, length - 1) || !g.containsGfn(lastGfn)) {
            return Errno.EFAULT; // kvmsim: the VMM can only address guest memory through one memslot
        }
        long hva = g.gfnToHva(Pages.pageOf(gpa)) + Pages.offsetInPage(gpa);
        Errno e = gw.send(EntityId.host(vm.host()), new HostCommand.UserspaceWrite(hva, length)).errno();
        if (e == null && vm.arch() == Arch.X86_64) {
            X86Mmu.hostPagesReplaced(gw, vm, gpa, length);
        }
        return e;
    }

    // __vm_munmap(): the VMAs go, and the mm's MMU notifiers run for the range: every VM the VMM created
    // gets kvm_mmu_notifier_invalidate_range_start() (zap, pfn caches, flush). kvmsim: x86 VMs only
    public static Errno munmap(Gateway gw, String host, long hva, long length) {
        Errno e = gw.send(EntityId.host(host), new HostCommand.Munmap(hva, length)).errno();
        if (e != null) {
            return e;
        }
        List<X86Mmu.HvaRange> range = List.of(new X86Mmu.HvaRange(hva, hva + Pages.alignUp(length)));
        for (String id : Entity.host(gw, host).mmuNotifiers()) {
            VmState vm = Entity.vm(gw, id);
            if (vm.created() && vm.arch() == Arch.X86_64) {
                X86Mmu.invalidateHvaRanges(gw, vm, range);
            }
        }
        return null;
    }
}
