package kvmsim.journal.strace;

import java.util.Set;

/**
 * Which fd an ioctl is issued on (Documentation/virt/kvm/api.rst, "Type:" of each ioctl), for a
 * recording without {@code -y} fd names whose fd was opened before it started. Which ioctls exist
 * on one architecture only is {@link IoctlArch}.
 */
enum IoctlScope {
    SYSTEM, VM, VCPU;

    private static final Set<String> SYSTEM_ONLY = Set.of("KVM_GET_API_VERSION", "KVM_CREATE_VM",
            "KVM_GET_VCPU_MMAP_SIZE", "KVM_GET_SUPPORTED_CPUID", "KVM_GET_EMULATED_CPUID", "KVM_GET_MSR_INDEX_LIST",
            "KVM_GET_MSR_FEATURE_INDEX_LIST", "KVM_X86_GET_MCE_CAP_SUPPORTED", "KVM_GET_SUPPORTED_HV_CPUID");

    private static final Set<String> VM_ONLY = Set.of("KVM_CREATE_VCPU", "KVM_SET_USER_MEMORY_REGION",
            "KVM_SET_USER_MEMORY_REGION2", "KVM_GET_DIRTY_LOG", "KVM_CLEAR_DIRTY_LOG", "KVM_CREATE_IRQCHIP",
            "KVM_IRQ_LINE", "KVM_IRQ_LINE_STATUS", "KVM_GET_IRQCHIP", "KVM_SET_IRQCHIP", "KVM_CREATE_PIT2",
            "KVM_GET_PIT2", "KVM_SET_PIT2", "KVM_GET_CLOCK", "KVM_SET_CLOCK", "KVM_SET_GSI_ROUTING", "KVM_IRQFD",
            "KVM_IOEVENTFD", "KVM_SIGNAL_MSI", "KVM_REGISTER_COALESCED_MMIO", "KVM_UNREGISTER_COALESCED_MMIO",
            "KVM_SET_TSS_ADDR", "KVM_SET_IDENTITY_MAP_ADDR", "KVM_CREATE_DEVICE", "KVM_CREATE_GUEST_MEMFD",
            "KVM_SET_MEMORY_ATTRIBUTES", "KVM_ARM_PREFERRED_TARGET", "KVM_ARM_SET_DEVICE_ADDR",
            "KVM_X86_SET_MSR_FILTER", "KVM_SET_BOOT_CPU_ID", "KVM_RESET_DIRTY_RINGS", "KVM_ARM_MTE_COPY_TAGS",
            "KVM_PRE_FAULT_MEMORY");

    private static final Set<String> VCPU_ONLY = Set.of("KVM_RUN", "KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_SREGS",
            "KVM_SET_SREGS", "KVM_GET_SREGS2", "KVM_SET_SREGS2", "KVM_TRANSLATE", "KVM_INTERRUPT", "KVM_SET_MSRS",
            "KVM_SET_CPUID", "KVM_SET_CPUID2", "KVM_GET_CPUID2", "KVM_SET_SIGNAL_MASK", "KVM_GET_FPU", "KVM_SET_FPU",
            "KVM_GET_LAPIC", "KVM_SET_LAPIC", "KVM_GET_MP_STATE", "KVM_SET_MP_STATE", "KVM_GET_VCPU_EVENTS",
            "KVM_SET_VCPU_EVENTS", "KVM_GET_DEBUGREGS", "KVM_SET_DEBUGREGS", "KVM_GET_XSAVE", "KVM_GET_XSAVE2",
            "KVM_SET_XSAVE", "KVM_GET_XCRS", "KVM_SET_XCRS", "KVM_GET_ONE_REG", "KVM_SET_ONE_REG",
            "KVM_GET_REG_LIST", "KVM_ARM_VCPU_INIT", "KVM_ARM_VCPU_FINALIZE", "KVM_KVMCLOCK_CTRL", "KVM_NMI",
            "KVM_SET_GUEST_DEBUG", "KVM_GET_TSC_KHZ", "KVM_SET_TSC_KHZ", "KVM_X86_SETUP_MCE", "KVM_X86_SET_MCE",
            "KVM_TPR_ACCESS_REPORTING", "KVM_SET_VAPIC_ADDR", "KVM_GET_NESTED_STATE", "KVM_SET_NESTED_STATE",
            "KVM_SMI");

    /** The fd an ioctl needs; null for one that is issued on several (KVM_CHECK_EXTENSION, KVM_ENABLE_CAP, ...). */
    static IoctlScope of(String name) {
        if (SYSTEM_ONLY.contains(name)) {
            return SYSTEM;
        } else if (VM_ONLY.contains(name)) {
            return VM;
        } else if (VCPU_ONLY.contains(name)) {
            return VCPU;
        }
        return null;
    }
}
