package kvmsim.domain.testing;

import java.util.List;
import java.util.function.Function;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vm.VmEvent;

/**
 * The x86 trace steps the rule tests use, as {@link StepsSpec#step} arguments, all on {@code vm0}
 * of {@code host0}. A slot's VMM memory starts at {@link #HVA} + gpa.
 */
public final class X86Steps {

    public static final long HVA = 0x7f0000000000L;
    public static final long LOG = 1; // KVM_MEM_LOG_DIRTY_PAGES
    public static final long READONLY = 2; // KVM_MEM_READONLY
    public static final long GUEST_MEMFD = 4; // KVM_MEM_GUEST_MEMFD
    public static final long NO_DIRECT_MAP = 4; // KVM_GMEM_NO_DIRECT_MAP as kvmsim numbers it
    public static final long PRIVATE = 1L << 3; // KVM_MEMORY_ATTRIBUTE_PRIVATE

    public static final EntityId VM = EntityId.vm("vm0");
    public static final EntityId HOST = EntityId.host("host0");

    private X86Steps() {
    }

    /** A default x86 VM on a host with the default features, A/D bits as given. */
    public static StepsSpec vm(boolean adBits) {
        return vm(adBits, "KVM_X86_DEFAULT_VM");
    }

    /** A software-protected VM (private memory) on a host with A/D bits. */
    public static StepsSpec swProtected() {
        return vm(true, "KVM_X86_SW_PROTECTED_VM");
    }

    public static StepsSpec vm(boolean adBits, String type) {
        HostFeatures d = HostFeatures.defaults(Arch.X86_64);
        HostFeatures f = d.with(HostFeature.AD_BITS, adBits);
        return new StepsSpec().step(m -> new Step.HostDecl(m, "host0", Arch.X86_64, f, false))
                .step(m -> new Step.CreateVm(m, "vm0", "host0", Arch.X86_64, type));
    }

    public static EntityId slotId(long slot) {
        return EntityId.slot("vm0", slot);
    }

    public static EntityId vcpuId(long vcpu) {
        return EntityId.vcpu("vm0", vcpu);
    }

    /** KVM_SET_USER_MEMORY_REGION at hva HVA + gpa. */
    public static Function<StepMeta, Step> slot(long slot, long flags, long gpa, long size) {
        return m -> new Step.SetUserMemoryRegion(m, "vm0", slot, flags, gpa, size, HVA + gpa);
    }

    /** KVM_SET_USER_MEMORY_REGION2 at hva HVA + gpa. */
    public static Function<StepMeta, Step> slot2(long slot, long flags, long gpa, long size, String gmem,
            long offset) {
        return m -> new Step.SetUserMemoryRegion2(m, "vm0", slot, flags, gpa, size, HVA + gpa, gmem, offset);
    }

    public static Function<StepMeta, Step> createGmem(String gmem, long size, long flags) {
        return m -> new Step.CreateGuestMemfd(m, "vm0", gmem, size, flags);
    }

    public static Function<StepMeta, Step> attributes(long address, long size, long attributes) {
        return m -> new Step.SetMemoryAttributes(m, "vm0", address, size, attributes);
    }

    public static Function<StepMeta, Step> vcpu(long vcpu) {
        return m -> new Step.CreateVcpu(m, "vm0", vcpu);
    }

    public static Function<StepMeta, Step> run(long vcpu) {
        return m -> new Step.Run(m, "vm0", vcpu);
    }

    public static Function<StepMeta, Step> read(long vcpu, long gpa) {
        return m -> new Step.GuestAccess(m, "vm0", vcpu, GuestAccessKind.READ, gpa);
    }

    public static Function<StepMeta, Step> write(long vcpu, long gpa) {
        return m -> new Step.GuestAccess(m, "vm0", vcpu, GuestAccessKind.WRITE, gpa);
    }

    public static Function<StepMeta, Step> mmap(long gpa, long length) {
        return m -> new Step.Mmap(m, "host0", HVA + gpa, length, false, false);
    }

    public static Function<StepMeta, Step> userspaceWrite(long gpa, long length) {
        return m -> new Step.UserspaceWrite(m, "vm0", gpa, length);
    }

    public static Function<StepMeta, Step> kvmWriteGuest(long gpa, long length) {
        return m -> new Step.KvmGuestCopy(m, "vm0", gpa, length, true);
    }

    public static Function<StepMeta, Step> clearYoung(long gpa, long length) {
        return m -> new Step.MmuNotifier(m, "vm0", gpa, length, false);
    }

    public static Function<StepMeta, Step> invalidate(long gpa, long length) {
        return m -> new Step.MmuNotifier(m, "vm0", gpa, length, true);
    }

    public static Function<StepMeta, Step> getDirtyLog(long slot) {
        return m -> new Step.GetDirtyLog(m, "vm0", slot);
    }

    /** @param pages slot-relative pages; null: every page of the range */
    public static Function<StepMeta, Step> clearDirtyLog(long slot, long first, long num, List<Long> pages) {
        return m -> new Step.ClearDirtyLog(m, "vm0", slot, first, num, pages);
    }

    public static Function<StepMeta, Step> manualProtect(long options) {
        return m -> new Step.EnableCap(m, "vm0", Cap.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
                List.of(options, 0L, 0L, 0L));
    }

    public static Function<StepMeta, Step> gpcActivate(String gpc, long gpa, long length) {
        return m -> new Step.GpcActivate(m, "vm0", gpc, gpa, length);
    }

    public static Function<StepMeta, Step> gpc(String gpc, Step.GpcStepKind kind) {
        return m -> new Step.GpcStep(m, "vm0", gpc, kind);
    }

    /** Whether vm0 completed a remote TLB flush at the spec's last line (after {@link StepsSpec#run}). */
    public static boolean flushedAtLastStep(StepsSpec spec) {
        return spec.eventsOfLastStep(VM).stream().anyMatch(e -> e instanceof VmEvent.RemoteTlbFlushCompleted);
    }
}
