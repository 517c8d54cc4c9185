package kvmsim.domain.abi;

/** Internal constants of the arm64 code kvmsim models; the uapi names are the Arm* enums. */
public final class Arm64Abi {
    /** KVM_VCPU_MAX_FEATURES in the 5.15 era the RFC is based on: POWER_OFF .. PTRAUTH_GENERIC. */
    public static final int KVM_VCPU_MAX_FEATURES = 7;

    /** KVM_PHYS_SHIFT: the default IPA size of a VM of type 0. */
    public static final int KVM_PHYS_SHIFT = 40;

    private Arm64Abi() {
    }
}
