package kvmsim.journal.strace;

import java.util.List;
import java.util.Set;
import kvmsim.domain.abi.Arch;

/**
 * The architectures whose KVM has ioctls of its own, with those ioctls (include/uapi/linux/kvm.h
 * and Documentation/virt/kvm/api.rst, "Architectures:"): seeing one in a recording says where it
 * was made, since strace names an ioctl number only from the tables of its own architecture.
 * RISC-V, LoongArch and MIPS have no ioctl of their own (their registers go through
 * KVM_{GET,SET}_ONE_REG, which every architecture has), so no ioctl tells their recordings apart.
 */
enum IoctlArch {
    X86_64(Arch.X86_64, null, Set.of("KVM_GET_SUPPORTED_CPUID", "KVM_GET_EMULATED_CPUID", "KVM_SET_CPUID",
            "KVM_SET_CPUID2", "KVM_GET_CPUID2", "KVM_GET_SUPPORTED_HV_CPUID", "KVM_GET_MSR_INDEX_LIST",
            "KVM_GET_MSR_FEATURE_INDEX_LIST", "KVM_GET_MSRS", "KVM_SET_MSRS", "KVM_SET_TSS_ADDR",
            "KVM_SET_IDENTITY_MAP_ADDR", "KVM_CREATE_PIT", "KVM_CREATE_PIT2", "KVM_GET_PIT", "KVM_SET_PIT",
            "KVM_GET_PIT2", "KVM_SET_PIT2", "KVM_GET_SREGS2", "KVM_SET_SREGS2", "KVM_GET_XSAVE", "KVM_GET_XSAVE2",
            "KVM_SET_XSAVE", "KVM_GET_XCRS", "KVM_SET_XCRS", "KVM_GET_LAPIC", "KVM_SET_LAPIC", "KVM_GET_DEBUGREGS",
            "KVM_SET_DEBUGREGS", "KVM_TPR_ACCESS_REPORTING", "KVM_SET_VAPIC_ADDR", "KVM_KVMCLOCK_CTRL",
            "KVM_SET_BOOT_CPU_ID", "KVM_MEMORY_ENCRYPT_OP", "KVM_MEMORY_ENCRYPT_REG_REGION",
            "KVM_MEMORY_ENCRYPT_UNREG_REGION", "KVM_HYPERV_EVENTFD"), List.of("KVM_X86_", "KVM_XEN_")),
    ARM64(Arch.ARM64, null, Set.of(), List.of("KVM_ARM_")),
    S390(null, "s390", Set.of(), List.of("KVM_S390_")),
    POWERPC(null, "powerpc", Set.of("KVM_CREATE_SPAPR_TCE", "KVM_CREATE_SPAPR_TCE_64", "KVM_ALLOCATE_RMA",
            "KVM_GET_HTAB_FD", "KVM_DIRTY_TLB"), List.of("KVM_PPC_"));

    /** The architecture kvmsim models it as; null for one kvmsim does not model. */
    final Arch modelled;
    private final String otherName;
    private final Set<String> ioctls;
    private final List<String> prefixes;

    IoctlArch(Arch modelled, String otherName, Set<String> ioctls, List<String> prefixes) {
        this.modelled = modelled;
        this.otherName = otherName;
        this.ioctls = ioctls;
        this.prefixes = prefixes;
    }

    /** Its name as a user writes it: the trace-format name of a modelled one (x86_64, arm64), else the kernel's. */
    String displayName() {
        return modelled != null ? modelled.traceName : otherName;
    }

    /** The architecture whose own ioctl {@code request} is, or null for one every architecture has (or none). */
    static IoctlArch of(String request) {
        for (IoctlArch a : values()) {
            if (a.ioctls.contains(request)) {
                return a;
            }
            for (String p : a.prefixes) {
                if (request.startsWith(p)) {
                    return a;
                }
            }
        }
        return null;
    }

    static IoctlArch of(Arch arch) {
        for (IoctlArch a : values()) {
            if (a.modelled == arch) {
                return a;
            }
        }
        throw new IllegalArgumentException(String.valueOf(arch));
    }
}
