package kvmsim.domain.abi;

/** KVM_CAP_ARM_LOCK_USER_MEMORY_REGION's cap.flags: the action (locked-memslot RFC v5 02/38). */
public enum ArmLockFlag implements UapiValue {
    KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_LOCK(1L << 0),
    KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_UNLOCK(1L << 1);

    private final long value;

    ArmLockFlag(long value) {
        this.value = value;
    }

    @Override
    public long value() {
        return value;
    }
}
