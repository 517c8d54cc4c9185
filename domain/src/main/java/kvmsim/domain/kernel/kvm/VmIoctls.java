package kvmsim.domain.kernel.kvm;

import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.VmType;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostState;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.gmem.GuestMemfd;
import kvmsim.domain.kernel.mmu.X86Mmu;
import kvmsim.domain.memslot.MemslotChange;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vm.KvmSetMemoryRegion;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmState;

/** The generic VM ioctls: creating VMs and vCPUs, setting memslots. */
public final class VmIoctls {

    private VmIoctls() {
    }

    // kvm_dev_ioctl_create_vm() -> kvm_arch_init_vm(): the VM type must be one the host's KVM knows
    public static Errno createVm(Gateway gw, String vm, String host, Arch arch, String type) {
        HostState hs = Entity.host(gw, host);
        if (hs.arch() != arch) {
            return Errno.EINVAL; // kvmsim: no KVM of that arch on this host
        }
        String vmType = type;
        if (arch == Arch.X86_64) {
            vmType = type == null ? VmType.KVM_X86_DEFAULT_VM.name() : type;
            if (!hs.features().vmTypes().contains(vmType)) {
                return Errno.EINVAL; // kvm_is_vm_type_supported()
            }
        } else if (type != null && !type.equals("0")) {
            return Errno.EINVAL; // arm64: only the default IPA size (type 0) is modelled
        }
        Errno e = gw.send(EntityId.vm(vm), new VmCommand.Create(arch, vmType, host, hs.features())).errno();
        if (e == null) {
            // kvm_init_mmu_notifier() -> mmu_notifier_register(): the VMM's munmap()s reach this VM from now on
            gw.send(EntityId.host(host), new HostCommand.RegisterMmuNotifier(vm));
        }
        return e;
    }

    // kvm_vm_ioctl_create_vcpu()
    public static Errno createVcpu(Gateway gw, String vm, long vcpu) {
        Reply r = gw.send(EntityId.vm(vm), new VmCommand.CreateVcpu(vcpu));
        if (!r.ok()) {
            return r.errno();
        }
        return gw.send(EntityId.vcpu(vm, vcpu), new VcpuCommand.Create(Entity.vm(gw, vm).dirtyRingSize())).errno();
    }

    // kvm_vm_ioctl_set_memory_region() -> kvm_set_memory_region() -> kvm_set_memslot()
    public static Errno setUserMemoryRegion(Gateway gw, Policies policies, String vmId,
            KvmSetMemoryRegion.Request request) {
        VmState vm = Entity.vm(gw, vmId);
        if (!vm.created()) {
            return Errno.EBADF;
        }
        KvmSetMemoryRegion.Verdict v = KvmSetMemoryRegion.check(vm, request);
        if (v.errno() != null || v.nothingToChange()) {
            return v.errno();
        }
        if (v.change() == MemslotChange.KVM_MR_CREATE && request.guestMemfdFlag()) {
            Errno e = GuestMemfd.bind(Entity.host(gw, vm.host()), vm, v.geometry());
            if (e != null) {
                return e;
            }
        }
        EntityId slotId = EntityId.slot(vmId, v.geometry().slot());
        boolean x86 = vm.arch() == Arch.X86_64;
        SlotGeometry old = vm.slots().get(v.geometry().slot());
        if (x86) {
            // kvm_set_memslot(): kvm_invalidate_memslot() zaps a DELETE's or MOVE's old slot before
            // kvm_prepare_memory_region() runs, and a refused change reinstates the slot without them
            if (v.change() == MemslotChange.KVM_MR_DELETE || v.change() == MemslotChange.KVM_MR_MOVE) {
                X86Mmu.kvmArchFlushShadowMemslot(gw, vm, old);
            }
            Errno e = X86Mmu.kvmArchPrepareMemoryRegion(v.change(), v.geometry());
            if (e != null) {
                return e;
            }
        } else {
            Reply prepared = gw.send(slotId, new MemslotCommand.PrepareChange(v.change(), v.geometry()));
            if (!prepared.ok()) {
                return prepared.errno();
            }
        }
        gw.send(EntityId.vm(vmId), new VmCommand.SetMemoryRegion(request));
        // kvm_prepare_memory_region(): a new bitmap only if kvm_use_dirty_bitmap(kvm)
        gw.send(slotId, new MemslotCommand.CommitChange(v.change(), v.geometry(), x86, vm.manualProtectAndInitSet(),
                vm.useDirtyBitmap()));
        if (x86 && old != null) {
            X86Mmu.kvmMmuSlotApplyFlags(gw, policies, vm, old, v.geometry(), v.change());
        }
        return null;
    }
}
