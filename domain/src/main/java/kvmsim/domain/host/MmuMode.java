package kvmsim.domain.host;

/**
 * How the x86 host's KVM maps guest memory (trace-format.md, HOST feature {@code mmu}): the kernel's
 * {@code tdp_enabled}, set by the vendor module through kvm_configure_mmu() (kvm_intel's {@code ept},
 * kvm_amd's {@code npt}; an out-of-tree vendor such as kvm_pvm leaves it off).
 */
public enum MmuMode {
    /** EPT/NPT: KVM builds the second-stage tables itself and never reads the guest's page tables. */
    TDP("tdp"),
    /** Shadow paging: KVM walks the guest's page tables on a fault (paging_tmpl.h FNAME(page_fault)). */
    SHADOW("shadow");

    public final String traceName;

    MmuMode(String traceName) {
        this.traceName = traceName;
    }

    /** The mode called {@code name} in a trace, or null. */
    public static MmuMode ofTraceName(String name) {
        for (MmuMode m : values()) {
            if (m.traceName.equals(name)) {
                return m;
            }
        }
        return null;
    }

    /** The trace name, as a HOST line writes it. */
    @Override
    public String toString() {
        return traceName;
    }
}
