package kvmsim.domain.abi;

/** The x86 VM types of KVM_CREATE_VM (arch/x86/include/uapi/asm/kvm.h), by their number. */
public enum VmType implements UapiValue {
    KVM_X86_DEFAULT_VM(0),
    KVM_X86_SW_PROTECTED_VM(1),
    KVM_X86_SEV_VM(2),
    KVM_X86_SEV_ES_VM(3),
    KVM_X86_SNP_VM(4),
    KVM_X86_TDX_VM(5);

    private final long value;

    VmType(long value) {
        this.value = value;
    }

    @Override
    public long value() {
        return value;
    }

    /** Whether kvmsim models VMs of this type; the confidential-computing types it does not. */
    public boolean modelled() {
        return this == KVM_X86_DEFAULT_VM || this == KVM_X86_SW_PROTECTED_VM;
    }

    /** kvm_arch_has_private_mem() on x86: kvm->arch.has_private_mem, set for the SW_PROTECTED, SNP and TDX types. */
    public static boolean hasPrivateMem(String type) {
        return KVM_X86_SW_PROTECTED_VM.name().equals(type) || KVM_X86_SNP_VM.name().equals(type)
                || KVM_X86_TDX_VM.name().equals(type);
    }

    /** kvm_can_access_gmem() (RFC 3/8): KVM may copy to and from guest_memfd of a software-protected VM only. */
    public static boolean canAccessGmem(String type) {
        return KVM_X86_SW_PROTECTED_VM.name().equals(type);
    }
}
