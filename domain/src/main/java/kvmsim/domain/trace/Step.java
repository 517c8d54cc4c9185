package kvmsim.domain.trace;

import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestPte;
import kvmsim.domain.vcpu.GuestVia;

/**
 * One line of a trace, parsed and validated (trace-format.md). Numbers are unsigned 64-bit values
 * held in longs; flag sets are already resolved to their bits.
 */
public sealed interface Step {

    StepMeta meta();

    /** The trace's op name, as written: its definition's name in the registry ({@link Ops}). */
    default String op() {
        return Ops.of(this).name();
    }

    default int line() {
        return meta().line();
    }

    /** A step that acts on an existing VM: an unknown one is a bad fd. */
    interface OnVm {
        String vm();
    }

    /** A step that uses a host: one used before any HOST line is declared with its arch's defaults. */
    interface OnHost {
        String host();
    }

    /** A step of the pKVM hypervisor: its host must be declared with features.pkvm before it. */
    interface OnPkvmHost extends OnHost {
    }

    record Policy(StepMeta meta, Map<String, String> values) implements Step {
    }

    /** HOST, or (implicit) the declaration of a host that a trace uses without one. */
    record HostDecl(StepMeta meta, String host, Arch arch, HostFeatures features, boolean implicit) implements Step {
    }

    /** @param pageSize page_size: the pages backing the mapping (4K, or 2M / 1G hugetlbfs or THP) */
    record Mmap(StepMeta meta, String host, long hva, long length, boolean shared, boolean protMte,
            kvmsim.domain.abi.PageLevel pageSize) implements Step, OnHost {

        public Mmap(StepMeta meta, String host, long hva, long length, boolean shared, boolean protMte) {
            this(meta, host, hva, length, shared, protMte, kvmsim.domain.abi.PageLevel.PG_LEVEL_4K);
        }
    }

    record Munmap(StepMeta meta, String host, long hva, long length) implements Step, OnHost {
    }

    record SetRlimitMemlock(StepMeta meta, String host, long bytes) implements Step, OnHost {
    }

    record UserspaceWrite(StepMeta meta, String vm, long gpa, long length) implements Step, OnVm {
    }

    /** @param type null for arm64, the x86 VM type name otherwise */
    record CreateVm(StepMeta meta, String vm, String host, Arch arch, String type) implements Step, OnHost {
    }

    record CreateVcpu(StepMeta meta, String vm, long vcpu) implements Step {
    }

    /** @param args always four values, missing ones 0 */
    record EnableCap(StepMeta meta, String vm, Cap cap, long flags, List<Long> args) implements Step, OnVm {
    }

    /** @param target null: the preferred target (KVM_ARM_PREFERRED_TARGET) */
    record ArmVcpuInit(StepMeta meta, String vm, long vcpu, Long target, long features) implements Step, OnVm {
    }

    record Run(StepMeta meta, String vm, long vcpu) implements Step, OnVm {
    }

    record SetUserMemoryRegion(StepMeta meta, String vm, long slot, long flags, long guestPhysAddr, long memorySize,
            long userspaceAddr) implements Step {
    }

    /** @param guestMemfd the gmem id in the guest_memfd field, or null when the trace gives none */
    record SetUserMemoryRegion2(StepMeta meta, String vm, long slot, long flags, long guestPhysAddr, long memorySize,
            long userspaceAddr, String guestMemfd, long guestMemfdOffset) implements Step, OnVm {
    }

    record CreateGuestMemfd(StepMeta meta, String vm, String gmem, long size, long flags) implements Step, OnVm {
    }

    /** @param attributes KVM_MEMORY_ATTRIBUTE_* bits */
    record SetMemoryAttributes(StepMeta meta, String vm, long address, long size, long attributes)
            implements Step, OnVm {
    }

    /** The VMM collects entries of a vCPU's dirty ring; {@code count} null: every dirty entry it can read. */
    record DirtyRingHarvest(StepMeta meta, String vm, long vcpu, Long count) implements Step, OnVm {
    }

    /** KVM_RESET_DIRTY_RINGS on a VM fd. */
    record ResetDirtyRings(StepMeta meta, String vm) implements Step, OnVm {
    }

    /** KVM_READ_GUEST or KVM_WRITE_GUEST: KVM itself copies guest memory (kvm_read_guest()/kvm_write_guest()). */
    record KvmGuestCopy(StepMeta meta, String vm, long gpa, long length, boolean write) implements Step, OnVm {
    }

    record GpcActivate(StepMeta meta, String vm, String gpc, long gpa, long length) implements Step, OnVm {
    }

    /** KVM_GPC_REFRESH, KVM_GPC_DEACTIVATE or KVM_GPC_ACCESS. */
    record GpcStep(StepMeta meta, String vm, String gpc, GpcStepKind kind) implements Step, OnVm {
    }

    enum GpcStepKind {
        REFRESH, DEACTIVATE, ACCESS
    }

    /**
     * @param via how the access reached KVM: a page fault (the default) or the x86 instruction emulator
     * @param gpte the x86 leaf guest PTE's W and D bits; GuestPte.WRITABLE_DIRTY when the trace gives none
     */
    record GuestAccess(StepMeta meta, String vm, long vcpu, GuestAccessKind kind, long gpa, GuestVia via,
            GuestPte gpte) implements Step, OnVm {

        /** An access the guest ran on the CPU: a miss is a page fault. */
        public GuestAccess(StepMeta meta, String vm, long vcpu, GuestAccessKind kind, long gpa) {
            this(meta, vm, vcpu, kind, gpa, GuestVia.FAULT);
        }

        /** With guest paging off, or a leaf gPTE with W and D set. */
        public GuestAccess(StepMeta meta, String vm, long vcpu, GuestAccessKind kind, long gpa, GuestVia via) {
            this(meta, vm, vcpu, kind, gpa, via, GuestPte.WRITABLE_DIRTY);
        }
    }

    record GetDirtyLog(StepMeta meta, String vm, long slot) implements Step, OnVm {
    }

    /** @param pages slot-relative pages to clear; null: every page of the range */
    record ClearDirtyLog(StepMeta meta, String vm, long slot, long firstPage, long numPages, List<Long> pages)
            implements Step, OnVm {
    }

    /** MMU_NOTIFIER_CLEAR_YOUNG (invalidate false) or MMU_NOTIFIER_INVALIDATE (invalidate true). */
    record MmuNotifier(StepMeta meta, String vm, long gpa, long length, boolean invalidate) implements Step, OnVm {
    }

    /** CHECK; selector fields null when not given. */
    record Check(StepMeta meta, String vm, Long slot, Long gpa, Long vcpu, String gpc, String host, Long pfn,
            List<CheckItem> items)
            implements Step {
    }

    /**
     * An ioctl kvmsim does not model, kept from an imported recording: counted by name, not
     * applied. {@code ret} is what the real call returned, or null with {@code errno} when it failed.
     *
     * @param fdKind system, vm or vcpu
     */
    record Ioctl(StepMeta meta, String name, String fdKind, String vm, Long vcpu, Long ret, String errno)
            implements Step {
    }

    /** PKVM_HOST_SHARE_HYP and the other page-range hypercalls of pKVM, on [pfn, pfn + nrPages). */
    record PkvmHypercall(StepMeta meta, String host, kvmsim.domain.host.Hvc hvc, long pfn, long nrPages)
            implements Step, OnPkvmHost {
    }

    /** PKVM_HOST_SHARE_GUEST ({@code share}) or PKVM_HOST_UNSHARE_GUEST. */
    record PkvmGuestShare(StepMeta meta, String host, long pfn, String vm, long gfn, boolean share)
            implements Step, OnPkvmHost {
    }

    record Stage2SetOwner(StepMeta meta, String host, long addr, long size, long ownerId) implements Step, OnPkvmHost {
    }

    record HostMemAbort(StepMeta meta, String host, long pfn, kvmsim.domain.host.Access access) implements Step, OnPkvmHost {
    }

}
