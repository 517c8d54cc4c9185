package kvmsim.domain.abi;

/** uapi and internal constants of the arm64 code kvmsim models (RFC v5 locked memslots, vCPU init). */
public final class Arm64Abi {
    public static final long KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_LOCK = 1L << 0;
    public static final long KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_UNLOCK = 1L << 1;
    public static final long KVM_ARM_LOCK_MEM_READ = 1L << 0;
    public static final long KVM_ARM_LOCK_MEM_WRITE = 1L << 1;
    public static final long KVM_ARM_UNLOCK_MEM_ALL = 1L << 0;

    /** KVM_ARM_TARGET_GENERIC_V8: what kvm_target_cpu() returns on the hosts kvmsim models. */
    public static final long KVM_ARM_TARGET_GENERIC_V8 = 5;
    /** KVM_VCPU_MAX_FEATURES in the 5.15 era the RFC is based on: POWER_OFF .. PTRAUTH_GENERIC. */
    public static final int KVM_VCPU_MAX_FEATURES = 7;

    /** KVM_PHYS_SHIFT: the default IPA size of a VM of type 0. */
    public static final int KVM_PHYS_SHIFT = 40;

    private Arm64Abi() {
    }
}
