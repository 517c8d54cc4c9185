package kvmsim.domain.host;

import java.util.List;
import kvmsim.domain.abi.Arch;

/**
 * A feature a HOST line may set (trace-format.md, HOST): its name in a trace, the arches that have
 * it, and how its value is written. The defaults are HostFeatures.defaults(arch).
 */
public enum HostFeature {
    MTE("mte", Kind.BOOL, Arch.ARM64),
    FWB("fwb", Kind.BOOL, Arch.ARM64),
    PKVM("pkvm", Kind.BOOL, Arch.ARM64),
    AD_BITS("ad_bits", Kind.BOOL, Arch.X86_64),
    SMM("smm", Kind.BOOL, Arch.X86_64),
    MEMORY_ATTRIBUTES("memory_attributes", Kind.BOOL, Arch.X86_64),
    /** tdp_enabled of the host's KVM: EPT/NPT (the default) or shadow paging (host/MmuMode). */
    MMU("mmu", Kind.MMU_MODE, Arch.X86_64),
    /** kvm.ko's eager_page_split module parameter (x86.c, default true): split huge SPTEs when logging starts. */
    EAGER_PAGE_SPLIT("eager_page_split", Kind.BOOL, Arch.X86_64),
    VM_TYPES("vm_types", Kind.VM_TYPES, Arch.X86_64),
    GMEM_FLAGS("gmem_flags", Kind.GMEM_FLAGS, Arch.X86_64),
    MEMORY("memory", Kind.NUMBER, Arch.ARM64, Arch.X86_64),
    /** KVM_MAX_VCPUS of the build (kvm->max_vcpus): x86 CONFIG_KVM_MAX_NR_VCPUS, 1024 by default. */
    MAX_VCPUS("max_vcpus", Kind.NUMBER, Arch.ARM64, Arch.X86_64),
    /** KVM_MAX_VCPU_IDS of the build: x86 4 x KVM_MAX_VCPUS (KVM_VCPU_ID_RATIO). */
    MAX_VCPU_IDS("max_vcpu_ids", Kind.NUMBER, Arch.ARM64, Arch.X86_64);

    /** How a feature's value is written. */
    public enum Kind {
        /** true or false [Boolean]. */
        BOOL,
        /** x86 VM type names or numbers [List of String, the names]. */
        VM_TYPES,
        /** guest_memfd flag names [List of String]. */
        GMEM_FLAGS,
        /** an unsigned 64-bit number [Long]. */
        NUMBER,
        /** the name of a {@link MmuMode}: tdp or shadow [MmuMode]. */
        MMU_MODE
    }

    public final String traceName;
    public final Kind kind;
    public final List<Arch> arches;

    HostFeature(String traceName, Kind kind, Arch... arches) {
        this.traceName = traceName;
        this.kind = kind;
        this.arches = List.of(arches);
    }

    /** The feature called {@code name} on a host of {@code arch}, or null. */
    public static HostFeature of(String name, Arch arch) {
        for (HostFeature f : values()) {
            if (f.traceName.equals(name) && f.arches.contains(arch)) {
                return f;
            }
        }
        return null;
    }
}
