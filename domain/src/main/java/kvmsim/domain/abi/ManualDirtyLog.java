package kvmsim.domain.abi;

/** KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2's args[0] (include/uapi/linux/kvm.h). */
public enum ManualDirtyLog implements UapiValue {
    KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE(1L << 0),
    KVM_DIRTY_LOG_INITIALLY_SET(1L << 1);

    private final long value;

    ManualDirtyLog(long value) {
        this.value = value;
    }

    @Override
    public long value() {
        return value;
    }
}
