package kvmsim.domain.abi;

import java.util.Map;

/**
 * The capabilities KVM_ENABLE_CAP takes in kvmsim, with their numbers (include/uapi/linux/kvm.h),
 * the names their {@code flags} and {@code args} may use in a trace, and the arch that has them.
 */
public enum Cap implements UapiValue {
    KVM_CAP_ARM_MTE(205, Arch.ARM64, Map.of(), Map.of()),
    KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2(168, null, Map.of(), UapiValue.names(ManualDirtyLog.class)),
    KVM_CAP_MAX_VCPU_ID(128, Arch.X86_64, Map.of(), Map.of()),
    /** The dirty ring with total store order: only x86 selects HAVE_KVM_DIRTY_RING_TSO. */
    KVM_CAP_DIRTY_LOG_RING(192, Arch.X86_64, Map.of(), Map.of()),
    /** The dirty ring with acquire/release ordering (x86, arm64, riscv, loongarch). */
    KVM_CAP_DIRTY_LOG_RING_ACQ_REL(223, null, Map.of(), Map.of()),
    /** A dirty bitmap next to the ring: NEED_KVM_DIRTY_RING_WITH_BITMAP, arm64 only. */
    KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP(225, null, Map.of(), Map.of()),
    /**
     * The locked-memslot RFC's cap: 206 in v4 and 207 in v5, numbers upstream later gave to other
     * caps, so kvmsim knows it by name; args[1] names how to lock or unlock.
     */
    KVM_CAP_ARM_LOCK_USER_MEMORY_REGION(207, Arch.ARM64, UapiValue.names(ArmLockFlag.class),
            UapiValue.names(ArmLockArg.class));

    private final long value;
    /** The arch whose KVM has the cap; null: generic KVM code. */
    public final Arch arch;
    /** The names {@code flags} may use. */
    public final Map<String, Long> flagNames;
    /** The names the entries of {@code args} may use. */
    public final Map<String, Long> argNames;

    Cap(long value, Arch arch, Map<String, Long> flagNames, Map<String, Long> argNames) {
        this.value = value;
        this.arch = arch;
        this.flagNames = flagNames;
        this.argNames = argNames;
    }

    @Override
    public long value() {
        return value;
    }
}
