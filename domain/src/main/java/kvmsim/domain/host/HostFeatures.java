package kvmsim.domain.host;

import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.GmemFlag;
import kvmsim.domain.abi.UapiValue;
import kvmsim.domain.abi.VmType;

/**
 * What the host kernel and CPU offer (trace-format.md, HOST). The defaults describe a mainline
 * kernel on the host's arch.
 */
public record HostFeatures(boolean mte, boolean fwb, boolean pkvm, boolean adBits, boolean smm,
        boolean memoryAttributes, List<String> vmTypes, List<String> gmemFlags, long memory) {

    public static final long DEFAULT_MEMORY = 4L << 30;

    public HostFeatures {
        vmTypes = List.copyOf(vmTypes);
        gmemFlags = List.copyOf(gmemFlags);
    }

    public static HostFeatures defaults(Arch arch) {
        return new HostFeatures(arch == Arch.ARM64, false, false, arch == Arch.X86_64, arch == Arch.X86_64,
                arch == Arch.X86_64, List.of(VmType.KVM_X86_DEFAULT_VM.name(), VmType.KVM_X86_SW_PROTECTED_VM.name()),
                List.copyOf(UapiValue.names(GmemFlag.class).keySet()), DEFAULT_MEMORY);
    }
}
