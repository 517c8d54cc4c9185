package kvmsim.domain.abi;

/** struct kvm_vcpu_init.target (arch/arm64/include/uapi/asm/kvm.h). */
public enum ArmTarget implements UapiValue {
    KVM_ARM_TARGET_AEM_V8(0),
    KVM_ARM_TARGET_FOUNDATION_V8(1),
    KVM_ARM_TARGET_CORTEX_A57(2),
    KVM_ARM_TARGET_XGENE_POTENZA(3),
    KVM_ARM_TARGET_CORTEX_A53(4),
    /** What kvm_target_cpu() returns on the hosts kvmsim models. */
    KVM_ARM_TARGET_GENERIC_V8(5);

    private final long value;

    ArmTarget(long value) {
        this.value = value;
    }

    @Override
    public long value() {
        return value;
    }
}
