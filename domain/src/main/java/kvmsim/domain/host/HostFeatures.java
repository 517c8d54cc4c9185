package kvmsim.domain.host;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.GmemFlag;
import kvmsim.domain.abi.KvmLimits;
import kvmsim.domain.abi.UapiValue;
import kvmsim.domain.abi.VmType;

/**
 * What the host kernel and CPU offer (trace-format.md, HOST): one value per {@link HostFeature}.
 * The defaults describe a mainline kernel on the host's arch; build-dependent limits
 * (KVM_MAX_VCPUS, KVM_MAX_VCPU_IDS) default to the kernel's default build. An arm64 host keeps
 * the x86-only values at their x86 defaults; a trace cannot set them there.
 */
public record HostFeatures(boolean mte, boolean fwb, boolean pkvm, boolean adBits, boolean smm,
        boolean memoryAttributes, MmuMode mmu, Boolean eagerPageSplit, List<String> vmTypes, List<String> gmemFlags, long memory, long maxVcpus,
        long maxVcpuIds) {

    public static final long DEFAULT_MEMORY = 4L << 30;

    public HostFeatures {
        // a host recorded before the mmu feature existed ran as kvm_intel and kvm_amd do by default
        mmu = mmu == null ? MmuMode.TDP : mmu;
        // nor before eager_page_split did: the module parameter is on by default
        eagerPageSplit = eagerPageSplit == null ? Boolean.TRUE : eagerPageSplit;
        vmTypes = List.copyOf(vmTypes);
        gmemFlags = List.copyOf(gmemFlags);
    }

    public static HostFeatures defaults(Arch arch) {
        return new HostFeatures(arch == Arch.ARM64, false, false, arch == Arch.X86_64, arch == Arch.X86_64,
                arch == Arch.X86_64, MmuMode.TDP, true, List.of(VmType.KVM_X86_DEFAULT_VM.name(), VmType.KVM_X86_SW_PROTECTED_VM.name()),
                List.copyOf(UapiValue.names(GmemFlag.class).keySet()), DEFAULT_MEMORY, KvmLimits.maxVcpus(arch),
                KvmLimits.maxVcpuIds(arch));
    }

    /**
     * Why no kernel could have these features together, or null. Shadow paging always has A/D
     * bits in its SPTEs (kvm_mmu_reset_all_pte_masks() sets shadow_accessed_mask; only
     * kvm_mmu_set_ept_masks() clears it, for EPT without A/D), so {@code ad_bits} false needs TDP.
     */
    public String contradiction() {
        return mmu == MmuMode.SHADOW && !adBits
                ? "feature 'ad_bits' false needs 'mmu' \"tdp\": shadow paging always has A/D bits" : null;
    }

    /** The value of {@code f}, of the Java type its kind says. */
    public Object get(HostFeature f) {
        return switch (f) {
            case MTE -> mte;
            case FWB -> fwb;
            case PKVM -> pkvm;
            case AD_BITS -> adBits;
            case SMM -> smm;
            case MEMORY_ATTRIBUTES -> memoryAttributes;
            case MMU -> mmu;
            case EAGER_PAGE_SPLIT -> eagerPageSplit;
            case VM_TYPES -> vmTypes;
            case GMEM_FLAGS -> gmemFlags;
            case MEMORY -> memory;
            case MAX_VCPUS -> maxVcpus;
            case MAX_VCPU_IDS -> maxVcpuIds;
        };
    }

    /** These features with {@code f} set to {@code value} (of the Java type its kind says). */
    public HostFeatures with(HostFeature f, Object value) {
        Map<HostFeature, Object> v = new EnumMap<>(HostFeature.class);
        for (HostFeature each : HostFeature.values()) {
            v.put(each, each == f ? value : get(each));
        }
        return of(v);
    }

    @SuppressWarnings("unchecked")
    private static HostFeatures of(Map<HostFeature, Object> v) {
        return new HostFeatures((Boolean) v.get(HostFeature.MTE), (Boolean) v.get(HostFeature.FWB),
                (Boolean) v.get(HostFeature.PKVM), (Boolean) v.get(HostFeature.AD_BITS),
                (Boolean) v.get(HostFeature.SMM), (Boolean) v.get(HostFeature.MEMORY_ATTRIBUTES),
                (MmuMode) v.get(HostFeature.MMU), (Boolean) v.get(HostFeature.EAGER_PAGE_SPLIT),
                (List<String>) v.get(HostFeature.VM_TYPES), (List<String>) v.get(HostFeature.GMEM_FLAGS),
                (Long) v.get(HostFeature.MEMORY), (Long) v.get(HostFeature.MAX_VCPUS),
                (Long) v.get(HostFeature.MAX_VCPU_IDS));
    }
}
