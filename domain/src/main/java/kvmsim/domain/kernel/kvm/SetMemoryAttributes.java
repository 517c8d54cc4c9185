package kvmsim.domain.kernel.kvm;

import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.MemoryAttribute;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.mmu.X86Mmu;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmState;

/** KVM_SET_MEMORY_ATTRIBUTES (virt/kvm/kvm_main.c, CONFIG_KVM_GENERIC_MEMORY_ATTRIBUTES). */
public final class SetMemoryAttributes {

    private SetMemoryAttributes() {
    }

    // kvm_vm_ioctl_set_mem_attributes(); the trace has no flags field, so flags is always 0
    public static Errno kvmVmIoctlSetMemAttributes(Gateway gw, VmState vm, long address, long size,
            long attributes) {
        if (!Entity.host(gw, vm.host()).features().memoryAttributes()) {
            return Errno.ENOTTY; // the ioctl is not built in
        }
        if ((attributes & ~kvmSupportedMemAttributes(vm)) != 0) {
            return Errno.EINVAL;
        }
        if (size == 0 || Pages.addOverflows(address, size)) {
            return Errno.EINVAL;
        }
        if (!Pages.aligned(address) || !Pages.aligned(size)) {
            return Errno.EINVAL;
        }
        return kvmVmSetMemAttributes(gw, vm, Pages.pageOf(address), Pages.pageOf(address + size),
                attributes != 0);
    }

    /** kvm_supported_mem_attributes(): PRIVATE only for a VM that can have private memory. */
    static long kvmSupportedMemAttributes(VmState vm) {
        return vm.hasPrivateMem() ? MemoryAttribute.KVM_MEMORY_ATTRIBUTE_PRIVATE.value() : 0;
    }

    // kvm_vm_set_mem_attributes(): nothing to do if the range already has them; else zap and flush
    // the SPTEs of the range (kvm_arch_pre_set_memory_attributes), then store the attributes
    private static Errno kvmVmSetMemAttributes(Gateway gw, VmState vm, long start, long end, boolean priv) {
        if (vm.attributes().uniformly(start, end, priv)) {
            return null;
        }
        X86Mmu.unmapGfnRange(gw, vm, start, end, "set-memory-attributes");
        return gw.send(EntityId.vm(vm.id()), new VmCommand.SetMemoryAttributes(start, end, priv)).errno();
    }
}
