package kvmsim.domain.abi;

/** struct kvm_vcpu_init.features[0] bits (arch/arm64/include/uapi/asm/kvm.h). */
public enum ArmVcpuFeature implements UapiValue {
    KVM_ARM_VCPU_POWER_OFF(1L << 0),
    KVM_ARM_VCPU_EL1_32BIT(1L << 1),
    KVM_ARM_VCPU_PSCI_0_2(1L << 2),
    KVM_ARM_VCPU_PMU_V3(1L << 3),
    KVM_ARM_VCPU_SVE(1L << 4),
    KVM_ARM_VCPU_PTRAUTH_ADDRESS(1L << 5),
    KVM_ARM_VCPU_PTRAUTH_GENERIC(1L << 6),
    KVM_ARM_VCPU_HAS_EL2(1L << 7);

    private final long value;

    ArmVcpuFeature(long value) {
        this.value = value;
    }

    @Override
    public long value() {
        return value;
    }
}
