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
    VM_TYPES("vm_types", Kind.VM_TYPES, Arch.X86_64),
    GMEM_FLAGS("gmem_flags", Kind.GMEM_FLAGS, Arch.X86_64),
    MEMORY("memory", Kind.BYTES, Arch.ARM64, Arch.X86_64);

    /** How a feature's value is written. */
    public enum Kind {
        /** true or false [Boolean]. */
        BOOL,
        /** x86 VM type names or numbers [List of String, the names]. */
        VM_TYPES,
        /** guest_memfd flag names [List of String]. */
        GMEM_FLAGS,
        /** an unsigned 64-bit size [Long]. */
        BYTES
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

    /** {@code features} with this feature set to {@code value} (of this feature's kind). */
    @SuppressWarnings("unchecked")
    public HostFeatures set(HostFeatures f, Object value) {
        return switch (this) {
            case MTE -> new HostFeatures((Boolean) value, f.fwb(), f.pkvm(), f.adBits(), f.smm(), f.memoryAttributes(),
                    f.vmTypes(), f.gmemFlags(), f.memory());
            case FWB -> new HostFeatures(f.mte(), (Boolean) value, f.pkvm(), f.adBits(), f.smm(), f.memoryAttributes(),
                    f.vmTypes(), f.gmemFlags(), f.memory());
            case PKVM -> new HostFeatures(f.mte(), f.fwb(), (Boolean) value, f.adBits(), f.smm(), f.memoryAttributes(),
                    f.vmTypes(), f.gmemFlags(), f.memory());
            case AD_BITS -> new HostFeatures(f.mte(), f.fwb(), f.pkvm(), (Boolean) value, f.smm(), f.memoryAttributes(),
                    f.vmTypes(), f.gmemFlags(), f.memory());
            case SMM -> new HostFeatures(f.mte(), f.fwb(), f.pkvm(), f.adBits(), (Boolean) value, f.memoryAttributes(),
                    f.vmTypes(), f.gmemFlags(), f.memory());
            case MEMORY_ATTRIBUTES -> new HostFeatures(f.mte(), f.fwb(), f.pkvm(), f.adBits(), f.smm(),
                    (Boolean) value, f.vmTypes(), f.gmemFlags(), f.memory());
            case VM_TYPES -> new HostFeatures(f.mte(), f.fwb(), f.pkvm(), f.adBits(), f.smm(), f.memoryAttributes(),
                    (List<String>) value, f.gmemFlags(), f.memory());
            case GMEM_FLAGS -> new HostFeatures(f.mte(), f.fwb(), f.pkvm(), f.adBits(), f.smm(), f.memoryAttributes(),
                    f.vmTypes(), (List<String>) value, f.memory());
            case MEMORY -> new HostFeatures(f.mte(), f.fwb(), f.pkvm(), f.adBits(), f.smm(), f.memoryAttributes(),
                    f.vmTypes(), f.gmemFlags(), (Long) value);
        };
    }
}
