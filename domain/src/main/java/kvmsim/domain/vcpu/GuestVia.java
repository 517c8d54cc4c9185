package kvmsim.domain.vcpu;

/**
 * How a guest access reached KVM (the trace's {@code via}): the guest ran it on the CPU and a
 * translation miss is a page fault, or KVM's x86 instruction emulator carried it out with
 * kvm_vcpu_read_guest() / kvm_vcpu_write_guest() (real mode, MMIO emulation).
 */
public enum GuestVia {
    FAULT("fault"), EMULATOR("emulator");

    /** The name in a trace. */
    public final String traceName;

    GuestVia(String traceName) {
        this.traceName = traceName;
    }

    public static GuestVia ofTraceName(String name) {
        for (GuestVia v : values()) {
            if (v.traceName.equals(name)) {
                return v;
            }
        }
        throw new IllegalArgumentException("via: " + name);
    }
}
