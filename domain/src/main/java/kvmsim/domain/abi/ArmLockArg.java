package kvmsim.domain.abi;

/**
 * KVM_CAP_ARM_LOCK_USER_MEMORY_REGION's args[1]: how to lock (READ is mandatory, WRITE optional),
 * or, for an unlock, KVM_ARM_UNLOCK_MEM_ALL (the same bit as READ).
 */
public enum ArmLockArg implements UapiValue {
    KVM_ARM_LOCK_MEM_READ(1L << 0),
    KVM_ARM_LOCK_MEM_WRITE(1L << 1),
    KVM_ARM_UNLOCK_MEM_ALL(1L << 0);

    private final long value;

    ArmLockArg(long value) {
        this.value = value;
    }

    @Override
    public long value() {
        return value;
    }
}
