package kvmsim.domain.abi;


/** Per-arch limits of generic KVM code, as the kernel defines them. */
public final class KvmLimits {

    private KvmLimits() {
    }

    /** KVM_USER_MEM_SLOTS: x86 keeps 3 internal slots (confirmed on Linux 6.18: 32764 is EINVAL); arm64 none. */
    public static long userMemSlots(Arch arch) {
        return arch == Arch.X86_64 ? 32764 : 32767;
    }

    /** kvm_arch_nr_memslot_as_ids(): x86 with SMM has two address spaces. */
    public static int addressSpaces(Arch arch, boolean smm) {
        return arch == Arch.X86_64 && smm ? 2 : 1;
    }

    /** KVM_MAX_VCPU_IDS: x86 4096 (confirmed on Linux 6.18); arm64 KVM_MAX_VCPUS = VGIC_V3_MAX_CPUS = 512. */
    public static long maxVcpuIds(Arch arch) {
        return arch == Arch.X86_64 ? 4096 : 512;
    }

    /** kvm->max_vcpus: x86 KVM_MAX_VCPUS 1024; arm64 512 without a vGIC. */
    public static long maxVcpus(Arch arch) {
        return arch == Arch.X86_64 ? 1024 : 512;
    }

    /** KVM_MEM_MAX_NR_PAGES. */
    public static final long KVM_MEM_MAX_NR_PAGES = (1L << 31) - 1;

    /** TASK_SIZE_MAX for access_ok(): x86 47-bit user space less the guard page; arm64 48-bit VA. */
    public static long taskSize(Arch arch) {
        return arch == Arch.X86_64 ? (1L << 47) - Pages.PAGE_SIZE : 1L << 48;
    }
}
