package kvmsim.domain.trace;

import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.vcpu.GuestAccessKind;

/**
 * One line of a trace, parsed and validated (trace-format.md). Numbers are unsigned 64-bit values
 * held in longs; flag sets are already resolved to their bits.
 */
public sealed interface Step {

    StepMeta meta();

    /** The trace's op name, as written. */
    String op();

    default int line() {
        return meta().line();
    }

    /** A step that acts on an existing VM: an unknown one is a bad fd. */
    interface OnVm {
        String vm();
    }

    record Policy(StepMeta meta, Map<String, String> values) implements Step {
        public String op() {
            return "POLICY";
        }
    }

    /** HOST, or (implicit) the declaration of a host that a trace uses without one. */
    record HostDecl(StepMeta meta, String host, Arch arch, HostFeatures features, boolean implicit) implements Step {
        public String op() {
            return "HOST";
        }
    }

    record Mmap(StepMeta meta, String host, long hva, long length, boolean shared, boolean protMte) implements Step {
        public String op() {
            return "MMAP";
        }
    }

    record Munmap(StepMeta meta, String host, long hva, long length) implements Step {
        public String op() {
            return "MUNMAP";
        }
    }

    record SetRlimitMemlock(StepMeta meta, String host, long bytes) implements Step {
        public String op() {
            return "SET_RLIMIT_MEMLOCK";
        }
    }

    record UserspaceWrite(StepMeta meta, String vm, long gpa, long length) implements Step, OnVm {
        public String op() {
            return "USERSPACE_WRITE";
        }
    }

    /** @param type null for arm64, the x86 VM type name otherwise */
    record CreateVm(StepMeta meta, String vm, String host, Arch arch, String type) implements Step {
        public String op() {
            return "KVM_CREATE_VM";
        }
    }

    record CreateVcpu(StepMeta meta, String vm, long vcpu) implements Step {
        public String op() {
            return "KVM_CREATE_VCPU";
        }
    }

    /** @param args always four values, missing ones 0 */
    record EnableCap(StepMeta meta, String vm, String cap, long flags, List<Long> args) implements Step, OnVm {
        public String op() {
            return "KVM_ENABLE_CAP";
        }
    }

    /** @param target null: the preferred target (KVM_ARM_PREFERRED_TARGET) */
    record ArmVcpuInit(StepMeta meta, String vm, long vcpu, Long target, long features) implements Step, OnVm {
        public String op() {
            return "KVM_ARM_VCPU_INIT";
        }
    }

    record Run(StepMeta meta, String vm, long vcpu) implements Step, OnVm {
        public String op() {
            return "KVM_RUN";
        }
    }

    record SetUserMemoryRegion(StepMeta meta, String vm, long slot, long flags, long guestPhysAddr, long memorySize,
            long userspaceAddr) implements Step {
        public String op() {
            return "KVM_SET_USER_MEMORY_REGION";
        }
    }

    /** @param guestMemfd the gmem id in the guest_memfd field, or null when the trace gives none */
    record SetUserMemoryRegion2(StepMeta meta, String vm, long slot, long flags, long guestPhysAddr, long memorySize,
            long userspaceAddr, String guestMemfd, long guestMemfdOffset) implements Step, OnVm {
        public String op() {
            return "KVM_SET_USER_MEMORY_REGION2";
        }
    }

    record CreateGuestMemfd(StepMeta meta, String vm, String gmem, long size, long flags) implements Step, OnVm {
        public String op() {
            return "KVM_CREATE_GUEST_MEMFD";
        }
    }

    /** @param attributes KVM_MEMORY_ATTRIBUTE_* bits */
    record SetMemoryAttributes(StepMeta meta, String vm, long address, long size, long attributes)
            implements Step, OnVm {
        public String op() {
            return "KVM_SET_MEMORY_ATTRIBUTES";
        }
    }

    /** KVM_READ_GUEST or KVM_WRITE_GUEST: KVM itself copies guest memory (kvm_read_guest()/kvm_write_guest()). */
    record KvmGuestCopy(StepMeta meta, String vm, long gpa, long length, boolean write) implements Step, OnVm {
        public String op() {
            return write ? "KVM_WRITE_GUEST" : "KVM_READ_GUEST";
        }
    }

    record GpcActivate(StepMeta meta, String vm, String gpc, long gpa, long length) implements Step, OnVm {
        public String op() {
            return "KVM_GPC_ACTIVATE";
        }
    }

    /** KVM_GPC_REFRESH, KVM_GPC_DEACTIVATE or KVM_GPC_ACCESS. */
    record GpcStep(StepMeta meta, String vm, String gpc, GpcStepKind kind) implements Step, OnVm {
        public String op() {
            return "KVM_GPC_" + kind.name();
        }
    }

    enum GpcStepKind {
        REFRESH, DEACTIVATE, ACCESS
    }

    record GuestAccess(StepMeta meta, String vm, long vcpu, GuestAccessKind kind, long gpa) implements Step, OnVm {
        public String op() {
            return "GUEST_" + kind.name();
        }
    }

    record GetDirtyLog(StepMeta meta, String vm, long slot) implements Step, OnVm {
        public String op() {
            return "KVM_GET_DIRTY_LOG";
        }
    }

    /** @param pages slot-relative pages to clear; null: every page of the range */
    record ClearDirtyLog(StepMeta meta, String vm, long slot, long firstPage, long numPages, List<Long> pages)
            implements Step, OnVm {
        public String op() {
            return "KVM_CLEAR_DIRTY_LOG";
        }
    }

    /** MMU_NOTIFIER_CLEAR_YOUNG (invalidate false) or MMU_NOTIFIER_INVALIDATE (invalidate true). */
    record MmuNotifier(StepMeta meta, String vm, long gpa, long length, boolean invalidate) implements Step, OnVm {
        public String op() {
            return invalidate ? "MMU_NOTIFIER_INVALIDATE" : "MMU_NOTIFIER_CLEAR_YOUNG";
        }
    }

    /** CHECK; selector fields null when not given. */
    record Check(StepMeta meta, String vm, Long slot, Long gpa, Long vcpu, String gpc, String host, Long pfn,
            List<CheckItem> items)
            implements Step {
        public String op() {
            return "CHECK";
        }
    }

    /**
     * An ioctl kvmsim does not model, kept from an imported recording: counted by name, not
     * applied. {@code ret} is what the real call returned, or null with {@code errno} when it failed.
     *
     * @param fdKind system, vm or vcpu
     */
    record Ioctl(StepMeta meta, String name, String fdKind, String vm, Long vcpu, Long ret, String errno)
            implements Step {
        public String op() {
            return "IOCTL";
        }
    }

    /** PKVM_HOST_SHARE_HYP and the other page-range hypercalls of pKVM, on [pfn, pfn + nrPages). */
    record PkvmHypercall(StepMeta meta, String host, kvmsim.domain.host.pkvm.Hvc hvc, long pfn, long nrPages)
            implements Step {
        public String op() {
            return hvc.op();
        }
    }

    /** PKVM_HOST_SHARE_GUEST ({@code share}) or PKVM_HOST_UNSHARE_GUEST. */
    record PkvmGuestShare(StepMeta meta, String host, long pfn, String vm, long gfn, boolean share)
            implements Step {
        public String op() {
            return share ? "PKVM_HOST_SHARE_GUEST" : "PKVM_HOST_UNSHARE_GUEST";
        }
    }

    record Stage2SetOwner(StepMeta meta, String host, long addr, long size, long ownerId) implements Step {
        public String op() {
            return "KVM_PGTABLE_STAGE2_SET_OWNER";
        }
    }

    record HostMemAbort(StepMeta meta, String host, long pfn, kvmsim.domain.host.pkvm.Access access) implements Step {
        public String op() {
            return "HOST_MEM_ABORT";
        }
    }

    /**
     * A valid step of trace format v1 whose model is not built yet: the trace parses, but replay
     * refuses it before anything runs, naming the step.
     */
    record NotModelled(StepMeta meta, String op, String reason) implements Step {
    }
}
