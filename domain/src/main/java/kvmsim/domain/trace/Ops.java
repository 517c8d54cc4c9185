package kvmsim.domain.trace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.ArmTarget;
import kvmsim.domain.abi.ArmVcpuFeature;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.GmemFlag;
import kvmsim.domain.abi.MemoryAttribute;
import kvmsim.domain.abi.MemslotFlag;
import kvmsim.domain.abi.PageLevel;
import kvmsim.domain.abi.UapiValue;
import kvmsim.domain.abi.VmType;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.Access;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.host.Hvc;
import kvmsim.domain.host.OwnerEncoding;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.Kernel;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.kernel.arm64.GuestAbort;
import kvmsim.domain.kernel.arm64.VcpuIoctls;
import kvmsim.domain.kernel.dirty.DirtyRings;
import kvmsim.domain.kernel.gmem.GuestMemfd;
import kvmsim.domain.kernel.host.VmmProcess;
import kvmsim.domain.kernel.kvm.DirtyLogIoctls;
import kvmsim.domain.kernel.kvm.DirtyRingReset;
import kvmsim.domain.kernel.kvm.EnableCap;
import kvmsim.domain.kernel.kvm.InstructionEmulator;
import kvmsim.domain.kernel.kvm.KvmReadWriteGuest;
import kvmsim.domain.kernel.kvm.SetMemoryAttributes;
import kvmsim.domain.kernel.kvm.VmIoctls;
import kvmsim.domain.kernel.mmu.PageFault;
import kvmsim.domain.kernel.mmu.PfnCache;
import kvmsim.domain.kernel.mmu.X86Mmu;
import kvmsim.domain.kernel.pkvm.GuestShare;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestPte;
import kvmsim.domain.vcpu.GuestVia;
import kvmsim.domain.vm.KvmSetMemoryRegion;
import kvmsim.domain.vm.VmState;

/**
 * The registry of trace ops (trace-format.md): each defined once, in one place. To add an op, add
 * its step record to {@link Step} (or reuse one) and its definition here; the reader, the replay
 * and the docs take it from here.
 */
public final class Ops {

    private Ops() {
    }

    // ---- how fields are written ----

    static final FieldType U64 = new FieldType.Unsigned(64);
    static final FieldType U32 = new FieldType.Unsigned(32);
    static final FieldType ID = new FieldType.Id();
    static final FieldType BOOL = new FieldType.Bool();
    static final String DEFAULT_HOST = "host0";

    static final Set<String> NO_EXPECT = Set.of();
    static final Set<String> RET_ERRNO = Set.of("ret", "errno");
    static final Set<String> GUEST_EXPECT = Set.of("ret", "errno", "exit", "tlb");

    private static Field req(String name, FieldType type) {
        return Field.required(name, type);
    }

    private static Field opt(String name, FieldType type, Object absent) {
        return Field.optional(name, type, absent);
    }

    private static final Field VM = req("vm", ID);
    private static final Field HOST = opt("host", ID, DEFAULT_HOST);
    private static final Field VCPU = req("vcpu", U64);
    private static final Field SLOT = req("slot", U32);

    // ---- the registry ----

    private static final List<Op<?>> ALL = new ArrayList<>();
    private static final Map<String, Op<?>> BY_NAME = new LinkedHashMap<>();
    private static final Map<Class<?>, List<Op<?>>> BY_TYPE = new HashMap<>();

    /** A definition in the making; {@link #done()} adds it to the registry. */
    private static final class Def<S extends Step> {
        private final String name;
        private final Class<S> type;
        private Predicate<S> is = s -> true;
        private List<Field> fields = List.of();
        private Set<String> expect = RET_ERRNO;
        private Function<Args, S> parse;
        private BiFunction<Kernel, S, Outcome> apply;
        private Op.Coverage<S> coverage = (s, t) -> null;

        Def(String name, Class<S> type) {
            this.name = name;
            this.type = type;
        }

        /** For a step record several ops share: which of its steps this op makes. */
        Def<S> is(Predicate<S> p) {
            this.is = p;
            return this;
        }

        Def<S> fields(Field... f) {
            this.fields = List.of(f);
            return this;
        }

        Def<S> expect(Set<String> keys) {
            this.expect = keys;
            return this;
        }

        Def<S> parse(Function<Args, S> p) {
            this.parse = p;
            return this;
        }

        Def<S> apply(BiFunction<Kernel, S, Outcome> a) {
            this.apply = a;
            return this;
        }

        /** An op on an existing VM: a VM never created (or whose creation failed) is a bad fd. */
        Def<S> onVm(VmOp<S> a) {
            this.apply = (k, s) -> {
                VmState vm = Entity.vm(k.gw(), ((Step.OnVm) s).vm());
                return vm.created() ? a.apply(k, vm, s) : Outcome.of(Errno.EBADF);
            };
            return this;
        }

        /** kvmsim models this on x86 only: on a VM created as arm64 the step is refused, saying why. */
        Def<S> x86Only(String why) {
            this.coverage = (s, t) -> t.onArm64(((Step.OnVm) s).vm()) ? name + " on an arm64 VM is not modelled ("
                    + why + ")" : null;
            return this;
        }

        Def<S> coverage(Op.Coverage<S> c) {
            this.coverage = c;
            return this;
        }

        Op<S> done() {
            Op<S> op = new Op<>(name, type, is, fields, expect, parse, apply, coverage);
            ALL.add(op);
            BY_NAME.put(name, op);
            BY_TYPE.computeIfAbsent(type, t -> new ArrayList<>()).add(op);
            return op;
        }
    }

    @FunctionalInterface
    private interface VmOp<S> {
        Outcome apply(Kernel k, VmState vm, S step);
    }

    private static <S extends Step> Def<S> op(String name, Class<S> type) {
        return new Def<>(name, type);
    }

    // ---- the run itself ----

    /** The trace's kernel variants; the reader handles its values (any policy key of design.md). */
    public static final Op<Step.Policy> POLICY = op("POLICY", Step.Policy.class).expect(NO_EXPECT)
            .parse(a -> {
                throw new IllegalStateException("POLICY is read by the trace reader");
            })
            .apply((k, s) -> Outcome.OK) // the engine read it before the first step
            .done();

    // ---- the host and the VMM process ----

    public static final Op<Step.HostDecl> HOST_DECL = op("HOST", Step.HostDecl.class).expect(NO_EXPECT)
            .fields(HOST, req("arch", new FieldType.ArchName()), opt("features", new FieldType.Features("arch"), null))
            .parse(a -> {
                Arch arch = a.get("arch");
                HostFeatures f = a.given("features") ? a.get("features") : HostFeatures.defaults(arch);
                return new Step.HostDecl(a.meta(), a.str("host"), arch, f, false);
            })
            .apply((k, s) -> {
                Integer ownerBits = s.features().pkvm() ? OwnerEncoding.of(k.policies()).bits : null;
                return Outcome.of(k.gw().send(EntityId.host(s.host()),
                        new HostCommand.Declare(s.arch(), s.features(), ownerBits)).errno());
            })
            .done();

    // shared defaults to false: a private anonymous mapping, as most VMMs use for guest RAM
    public static final Op<Step.Mmap> MMAP = op("MMAP", Step.Mmap.class)
            .fields(HOST, req("hva", U64), req("length", U64), opt("shared", BOOL, false), opt("prot_mte", BOOL, false),
                    opt("page_size", new FieldType.OneOf(PageLevel.traceNames()), "4K"))
            .parse(a -> new Step.Mmap(a.meta(), a.str("host"), a.u64("hva"), a.u64("length"), a.bool("shared"),
                    a.bool("prot_mte"), PageLevel.ofTraceName(a.str("page_size"))))
            .apply((k, s) -> Outcome.of(k.gw().send(EntityId.host(s.host()),
                    new HostCommand.Mmap(s.hva(), s.length(), s.shared(), s.protMte(), s.pageSize())).errno()))
            .done();

    public static final Op<Step.Munmap> MUNMAP = op("MUNMAP", Step.Munmap.class)
            .fields(HOST, req("hva", U64), req("length", U64))
            .parse(a -> new Step.Munmap(a.meta(), a.str("host"), a.u64("hva"), a.u64("length")))
            .apply((k, s) -> Outcome.of(VmmProcess.munmap(k.gw(), s.host(), s.hva(), s.length())))
            .done();

    public static final Op<Step.SetRlimitMemlock> SET_RLIMIT_MEMLOCK = op("SET_RLIMIT_MEMLOCK",
            Step.SetRlimitMemlock.class)
            .fields(HOST, req("bytes", U64))
            .parse(a -> new Step.SetRlimitMemlock(a.meta(), a.str("host"), a.u64("bytes")))
            .apply((k, s) -> Outcome.of(k.gw().send(EntityId.host(s.host()),
                    new HostCommand.SetRlimitMemlock(s.bytes())).errno()))
            .done();

    public static final Op<Step.UserspaceWrite> USERSPACE_WRITE = op("USERSPACE_WRITE", Step.UserspaceWrite.class)
            .fields(VM, req("gpa", U64), req("length", U64))
            .parse(a -> new Step.UserspaceWrite(a.meta(), a.str("vm"), a.u64("gpa"), a.u64("length")))
            .onVm((k, vm, s) -> Outcome.of(VmmProcess.userspaceWrite(k.gw(), vm, s.gpa(), s.length())))
            .done();

    // the VMM reads its mmap of the vCPU's ring (KVM_DIRTY_LOG_PAGE_OFFSET), as QEMU's kvm_dirty_ring_reap_one()
    public static final Op<Step.DirtyRingHarvest> DIRTY_RING_HARVEST = op("DIRTY_RING_HARVEST",
            Step.DirtyRingHarvest.class)
            .fields(VM, VCPU, opt("count", U64, null)).expect(Set.of("ret", "errno", "harvested"))
            .parse(a -> new Step.DirtyRingHarvest(a.meta(), a.str("vm"), a.u64("vcpu"), a.optU64("count")))
            .onVm((k, vm, s) -> DirtyRings.harvest(k.gw(), vm, s.vcpu(), s.count() == null ? -1L : s.count()))
            .done();

    // ---- VM and vCPU ioctls ----

    public static final Op<Step.CreateVm> KVM_CREATE_VM = op("KVM_CREATE_VM", Step.CreateVm.class)
            .fields(VM, req("arch", new FieldType.ArchName()), HOST, opt("type", new FieldType.VmTypeOf("arch"), null))
            .parse(a -> {
                Arch arch = a.get("arch");
                String type = a.str("type");
                if (type == null && arch == Arch.X86_64) {
                    type = VmType.KVM_X86_DEFAULT_VM.name();
                }
                return new Step.CreateVm(a.meta(), a.str("vm"), a.str("host"), arch, type);
            })
            .apply((k, s) -> Outcome.of(VmIoctls.createVm(k.gw(), s.vm(), s.host(), s.arch(), s.type())))
            .done();

    public static final Op<Step.CreateVcpu> KVM_CREATE_VCPU = op("KVM_CREATE_VCPU", Step.CreateVcpu.class)
            .fields(VM, VCPU)
            .parse(a -> new Step.CreateVcpu(a.meta(), a.str("vm"), a.u64("vcpu")))
            .apply((k, s) -> Outcome.of(VmIoctls.createVcpu(k.gw(), s.vm(), s.vcpu())))
            .done();

    public static final Op<Step.EnableCap> KVM_ENABLE_CAP = op("KVM_ENABLE_CAP", Step.EnableCap.class)
            .fields(VM, req("cap", new FieldType.CapName()), opt("flags", new FieldType.CapFlags("cap"), 0L),
                    opt("args", new FieldType.CapArgs("cap"), List.of(0L, 0L, 0L, 0L)))
            .parse(a -> new Step.EnableCap(a.meta(), a.str("vm"), a.get("cap"), a.u64("flags"), a.list("args")))
            .onVm((k, vm, s) -> Outcome.of(EnableCap.kvmVmIoctlEnableCap(k.gw(), k.policies(), vm, s.cap(), s.flags(),
                    s.args())))
            .coverage((s, t) -> s.cap() == Cap.KVM_CAP_DIRTY_LOG_RING_ACQ_REL && t.onArm64(s.vm())
                    ? "KVM_CAP_DIRTY_LOG_RING_ACQ_REL on an arm64 VM is not modelled (kvmsim models the dirty ring on x86)"
                    : null)
            .done();

    // target null, like an absent target, asks for KVM_ARM_PREFERRED_TARGET
    public static final Op<Step.ArmVcpuInit> KVM_ARM_VCPU_INIT = op("KVM_ARM_VCPU_INIT", Step.ArmVcpuInit.class)
            .fields(VM, VCPU, opt("target", new FieldType.Named(UapiValue.names(ArmTarget.class), 32,
                    "an ARM target name"), null), opt("features", new FieldType.Flags(
                    UapiValue.names(ArmVcpuFeature.class), 64), 0L))
            .parse(a -> new Step.ArmVcpuInit(a.meta(), a.str("vm"), a.u64("vcpu"), a.optU64("target"),
                    a.u64("features")))
            .onVm((k, vm, s) -> Outcome.of(VcpuIoctls.armVcpuInit(k.gw(), vm, s.vcpu(), s.target(), s.features())))
            .done();

    public static final Op<Step.Run> KVM_RUN = op("KVM_RUN", Step.Run.class)
            .fields(VM, VCPU)
            .parse(a -> new Step.Run(a.meta(), a.str("vm"), a.u64("vcpu")))
            .expect(Set.of("ret", "errno", "exit"))
            .onVm((k, vm, s) -> VcpuIoctls.run(k.gw(), vm, s.vcpu()))
            .done();

    private static final FieldType MEMSLOT_FLAGS = new FieldType.Flags(UapiValue.names(MemslotFlag.class), 32);

    public static final Op<Step.SetUserMemoryRegion> KVM_SET_USER_MEMORY_REGION = op("KVM_SET_USER_MEMORY_REGION",
            Step.SetUserMemoryRegion.class)
            .fields(VM, SLOT, opt("flags", MEMSLOT_FLAGS, 0L), req("guest_phys_addr", U64), req("memory_size", U64),
                    req("userspace_addr", U64))
            .parse(a -> new Step.SetUserMemoryRegion(a.meta(), a.str("vm"), a.u64("slot"), a.u64("flags"),
                    a.u64("guest_phys_addr"), a.u64("memory_size"), a.u64("userspace_addr")))
            .apply((k, s) -> Outcome.of(VmIoctls.setUserMemoryRegion(k.gw(), k.policies(), s.vm(),
                    new KvmSetMemoryRegion.Request(s.slot(), s.flags(), s.guestPhysAddr(), s.memorySize(),
                            s.userspaceAddr()))))
            .done();

    // guest_memfd is read by the kernel only when flags has KVM_MEM_GUEST_MEMFD; without it the call
    // still means something, so it is optional (its absence is the model's EINVAL or EBADF)
    public static final Op<Step.SetUserMemoryRegion2> KVM_SET_USER_MEMORY_REGION2 = op("KVM_SET_USER_MEMORY_REGION2",
            Step.SetUserMemoryRegion2.class)
            .fields(VM, SLOT, opt("flags", MEMSLOT_FLAGS, 0L), req("guest_phys_addr", U64), req("memory_size", U64),
                    req("userspace_addr", U64), opt("guest_memfd", ID, null), opt("guest_memfd_offset", U64, 0L))
            .parse(a -> new Step.SetUserMemoryRegion2(a.meta(), a.str("vm"), a.u64("slot"), a.u64("flags"),
                    a.u64("guest_phys_addr"), a.u64("memory_size"), a.u64("userspace_addr"), a.str("guest_memfd"),
                    a.u64("guest_memfd_offset")))
            .onVm((k, vm, s) -> Outcome.of(VmIoctls.setUserMemoryRegion(k.gw(), k.policies(), s.vm(),
                    new KvmSetMemoryRegion.Request(s.slot(), s.flags(), s.guestPhysAddr(), s.memorySize(),
                            s.userspaceAddr(), true, s.guestMemfd(), s.guestMemfdOffset()))))
            .x86Only("guest_memfd")
            .done();

    public static final Op<Step.CreateGuestMemfd> KVM_CREATE_GUEST_MEMFD = op("KVM_CREATE_GUEST_MEMFD",
            Step.CreateGuestMemfd.class)
            .fields(VM, req("gmem", ID), req("size", U64), opt("flags", new FieldType.Flags(
                    UapiValue.names(GmemFlag.class), 64), 0L))
            .parse(a -> new Step.CreateGuestMemfd(a.meta(), a.str("vm"), a.str("gmem"), a.u64("size"),
                    a.u64("flags")))
            .onVm((k, vm, s) -> Outcome.of(GuestMemfd.create(k.gw(), vm, s.gmem(), s.size(), s.flags())))
            .x86Only("guest_memfd")
            .done();

    // attributes is required although [] (0) is a valid value: leaving it out would silently mean
    // "convert to shared", which is the whole effect of the call
    public static final Op<Step.SetMemoryAttributes> KVM_SET_MEMORY_ATTRIBUTES = op("KVM_SET_MEMORY_ATTRIBUTES",
            Step.SetMemoryAttributes.class)
            .fields(VM, req("address", U64), req("size", U64), req("attributes", new FieldType.Flags(
                    UapiValue.names(MemoryAttribute.class), 64)))
            .parse(a -> new Step.SetMemoryAttributes(a.meta(), a.str("vm"), a.u64("address"), a.u64("size"),
                    a.u64("attributes")))
            .onVm((k, vm, s) -> Outcome.of(SetMemoryAttributes.kvmVmIoctlSetMemAttributes(k.gw(), vm, s.address(),
                    s.size(), s.attributes())))
            .x86Only("memory attributes")
            .done();

    public static final Op<Step.GetDirtyLog> KVM_GET_DIRTY_LOG = op("KVM_GET_DIRTY_LOG", Step.GetDirtyLog.class)
            .fields(VM, SLOT).expect(Set.of("ret", "errno", "dirty_pages"))
            .parse(a -> new Step.GetDirtyLog(a.meta(), a.str("vm"), a.u64("slot")))
            .onVm((k, vm, s) -> DirtyLogIoctls.getDirtyLog(k.gw(), vm, s.slot()))
            .x86Only("arm64 dirty logging")
            .done();

    public static final Op<Step.ClearDirtyLog> KVM_CLEAR_DIRTY_LOG = op("KVM_CLEAR_DIRTY_LOG",
            Step.ClearDirtyLog.class)
            .fields(VM, SLOT, req("first_page", U64), req("num_pages", U32),
                    opt("pages", new FieldType.UnsignedList(), null))
            .parse(a -> new Step.ClearDirtyLog(a.meta(), a.str("vm"), a.u64("slot"), a.u64("first_page"),
                    a.u64("num_pages"), a.list("pages")))
            .onVm((k, vm, s) -> Outcome.of(DirtyLogIoctls.clearDirtyLog(k.gw(), vm, s.slot(), s.firstPage(),
                    s.numPages(), s.pages())))
            .x86Only("arm64 dirty logging")
            .done();

    public static final Op<Step.ResetDirtyRings> KVM_RESET_DIRTY_RINGS = op("KVM_RESET_DIRTY_RINGS",
            Step.ResetDirtyRings.class)
            .fields(VM)
            .parse(a -> new Step.ResetDirtyRings(a.meta(), a.str("vm")))
            .onVm((k, vm, s) -> DirtyRingReset.kvmVmIoctlResetDirtyPages(k.gw(), vm))
            .done();

    // vm and vcpu are required by fd_kind; ret is optional (a recording may have lost it). A failed
    // call keeps its errno: any E-name is taken, since a recording may carry errnos the model never returns
    public static final Op<Step.Ioctl> IOCTL = op("IOCTL", Step.Ioctl.class).expect(NO_EXPECT)
            .fields(req("name", new FieldType.Text()), req("fd_kind", new FieldType.OneOf(List.of("system", "vm",
                    "vcpu"))), opt("vm", ID, null), opt("vcpu", U64, null), opt("ret", new FieldType.Signed(), null),
                    opt("errno", new FieldType.ErrnoName(), null))
            .parse(a -> {
                String kind = a.str("fd_kind");
                if (!kind.equals("system") && !a.given("vm")) {
                    throw BadStep.of("missing field 'vm'");
                }
                if (kind.equals("vcpu") && !a.given("vcpu")) {
                    throw BadStep.of("missing field 'vcpu'");
                }
                Long ret = a.optU64("ret");
                if (a.given("errno") && ret != null && ret != -1) {
                    throw BadStep.of("'errno' goes with a failed call: 'ret' must be -1 or absent, not %d", ret);
                }
                return new Step.Ioctl(a.meta(), a.str("name"), kind, a.str("vm"), a.optU64("vcpu"), ret,
                        a.str("errno"));
            })
            .apply((k, s) -> {
                throw new IllegalStateException("an IOCTL step is counted by the replay, never applied");
            })
            .done();

    // ---- the guest ----

    private static Op<Step.GuestAccess> guest(GuestAccessKind kind) {
        return op("GUEST_" + kind.name(), Step.GuestAccess.class).is(s -> s.kind() == kind)
                .fields(VM, VCPU, req("gpa", U64), opt("via", new FieldType.OneOf(
                        Arrays.stream(GuestVia.values()).map(v -> v.traceName).toList()), GuestVia.FAULT.traceName),
                        opt(GuestPte.FIELD, new FieldType.GuestPteBits(), null))
                .expect(GUEST_EXPECT)
                .parse(a -> {
                    GuestVia via = GuestVia.ofTraceName(a.str("via"));
                    if (via == GuestVia.EMULATOR && a.meta().expect().tlb() != null) {
                        throw BadStep.of("'tlb' cannot be expected of an access through the emulator: it uses no TLB");
                    }
                    GuestPte gpte = a.given(GuestPte.FIELD) ? a.get(GuestPte.FIELD) : GuestPte.WRITABLE_DIRTY;
                    return new Step.GuestAccess(a.meta(), a.str("vm"), a.u64("vcpu"), kind, a.u64("gpa"), via, gpte);
                })
                .onVm((k, vm, s) -> vm.arch() != Arch.X86_64 ? GuestAbort.access(k.gw(), vm, s.vcpu(), s.kind(), s.gpa())
                        : s.via() == GuestVia.EMULATOR ? InstructionEmulator.access(k.gw(), vm, s.vcpu(), s.kind(), s.gpa())
                        : PageFault.access(k.gw(), vm, s.vcpu(), s.kind(), s.gpa(), s.gpte()))
                // kvmsim has vCPU TLBs on x86 only (an arm64 stage-2 change is followed by a hardware-broadcast
                // TLBI); the instruction emulator is x86's; a write through a gPTE without W is the guest's own
                // #PF (FNAME(walk_addr_generic) fails, kvm_inject_emulated_page_fault()), which kvmsim does not model
                .coverage((s, t) -> t.onArm64(s.vm()) ? (
                        s.via() == GuestVia.EMULATOR ? "via emulator on an arm64 VM: the instruction emulator is x86's"
                        : s.meta().expect().tlb() != null
                        ? "expect.tlb on an arm64 VM is not modelled (kvmsim models x86 vCPU TLBs)"
                        : !s.gpte().equals(GuestPte.WRITABLE_DIRTY)
                        ? "gpte on an arm64 VM is not modelled (kvmsim reads guest PTEs for x86 shadow paging only)" : null)
                        : s.kind() == GuestAccessKind.WRITE && !s.gpte().writable()
                        ? "a guest write through a gPTE without W is not modelled (a page fault the guest handles)" : null)
                .done();
    }

    public static final Op<Step.GuestAccess> GUEST_READ = guest(GuestAccessKind.READ);
    public static final Op<Step.GuestAccess> GUEST_WRITE = guest(GuestAccessKind.WRITE);
    public static final Op<Step.GuestAccess> GUEST_EXEC = guest(GuestAccessKind.EXEC);

    // ---- the host kernel ----

    private static Op<Step.MmuNotifier> mmuNotifier(boolean invalidate) {
        return op(invalidate ? "MMU_NOTIFIER_INVALIDATE" : "MMU_NOTIFIER_CLEAR_YOUNG", Step.MmuNotifier.class)
                .is(s -> s.invalidate() == invalidate).expect(NO_EXPECT)
                .fields(VM, req("gpa", U64), req("length", U64))
                .parse(a -> new Step.MmuNotifier(a.meta(), a.str("vm"), a.u64("gpa"), a.u64("length"), invalidate))
                .onVm((k, vm, s) -> Outcome.of(s.invalidate() ? X86Mmu.invalidateRange(k.gw(), vm, s.gpa(), s.length())
                        : X86Mmu.clearYoung(k.gw(), vm, s.gpa(), s.length())))
                .x86Only("arm64 MMU notifiers")
                .done();
    }

    public static final Op<Step.MmuNotifier> MMU_NOTIFIER_CLEAR_YOUNG = mmuNotifier(false);
    public static final Op<Step.MmuNotifier> MMU_NOTIFIER_INVALIDATE = mmuNotifier(true);

    private static Op<Step.KvmGuestCopy> kvmGuestCopy(boolean write) {
        return op(write ? "KVM_WRITE_GUEST" : "KVM_READ_GUEST", Step.KvmGuestCopy.class).is(s -> s.write() == write)
                .fields(VM, req("gpa", U64), req("length", U64))
                .parse(a -> new Step.KvmGuestCopy(a.meta(), a.str("vm"), a.u64("gpa"), a.u64("length"), write))
                .onVm((k, vm, s) -> Outcome.of(KvmReadWriteGuest.copy(k.gw(), vm, s.gpa(), s.length(), s.write())))
                .x86Only("kvmsim models guest_memfd on x86")
                .done();
    }

    public static final Op<Step.KvmGuestCopy> KVM_READ_GUEST = kvmGuestCopy(false);
    public static final Op<Step.KvmGuestCopy> KVM_WRITE_GUEST = kvmGuestCopy(true);

    private static final String GPC_ON_X86 = "kvmsim models gfn_to_pfn caches on x86";

    public static final Op<Step.GpcActivate> KVM_GPC_ACTIVATE = op("KVM_GPC_ACTIVATE", Step.GpcActivate.class)
            .fields(VM, req("gpc", ID), req("gpa", U64), req("length", U64))
            .parse(a -> new Step.GpcActivate(a.meta(), a.str("vm"), a.str("gpc"), a.u64("gpa"), a.u64("length")))
            .onVm((k, vm, s) -> Outcome.of(PfnCache.of(k).activate(vm, s.gpc(), s.gpa(), s.length())))
            .x86Only(GPC_ON_X86)
            .done();

    private static Op<Step.GpcStep> gpc(Step.GpcStepKind kind, VmOp<Step.GpcStep> apply) {
        return op("KVM_GPC_" + kind.name(), Step.GpcStep.class).is(s -> s.kind() == kind)
                .fields(VM, req("gpc", ID))
                .parse(a -> new Step.GpcStep(a.meta(), a.str("vm"), a.str("gpc"), kind))
                .onVm(apply)
                .x86Only(GPC_ON_X86)
                .done();
    }

    public static final Op<Step.GpcStep> KVM_GPC_REFRESH = gpc(Step.GpcStepKind.REFRESH,
            (k, vm, s) -> Outcome.of(PfnCache.of(k).refresh(vm, s.gpc())));
    public static final Op<Step.GpcStep> KVM_GPC_DEACTIVATE = gpc(Step.GpcStepKind.DEACTIVATE, (k, vm, s) -> {
        PfnCache.of(k).deactivate(vm, s.gpc());
        return Outcome.OK; // kvm_gpc_deactivate() returns void
    });
    public static final Op<Step.GpcStep> KVM_GPC_ACCESS = gpc(Step.GpcStepKind.ACCESS,
            (k, vm, s) -> Outcome.of(PfnCache.of(k).access(vm, s.gpc())));

    // ---- pKVM ----

    // PKVM_HOST_SHARE_FFA and PKVM_HOST_UNSHARE_FFA are kvmsim's additions to the format: the
    // ownership selftest walks its page through them (docs/trace-format.md)
    private static Op<Step.PkvmHypercall> hypercall(Hvc hvc) {
        return op(hvc.op(), Step.PkvmHypercall.class).is(s -> s.hvc() == hvc)
                .fields(HOST, req("pfn", U64), opt("nr_pages", U64, 1L))
                .parse(a -> new Step.PkvmHypercall(a.meta(), a.str("host"), hvc, a.u64("pfn"), a.u64("nr_pages")))
                .apply((k, s) -> Outcome.of(k.gw().send(EntityId.host(s.host()),
                        new HostCommand.PkvmCall(s.hvc(), s.pfn(), s.nrPages())).errno()))
                .done();
    }

    /** One op per page-range hypercall, by Hvc. */
    public static final List<Op<Step.PkvmHypercall>> PKVM_HYPERCALLS = hypercalls();

    private static List<Op<Step.PkvmHypercall>> hypercalls() {
        List<Op<Step.PkvmHypercall>> out = new ArrayList<>();
        for (Hvc hvc : Hvc.values()) {
            out.add(hypercall(hvc));
        }
        return List.copyOf(out);
    }

    private static Op<Step.PkvmGuestShare> guestShare(boolean share) {
        return op(share ? "PKVM_HOST_SHARE_GUEST" : "PKVM_HOST_UNSHARE_GUEST", Step.PkvmGuestShare.class)
                .is(s -> s.share() == share)
                .fields(HOST, req("pfn", U64), VM, req("gfn", U64))
                .parse(a -> new Step.PkvmGuestShare(a.meta(), a.str("host"), a.u64("pfn"), a.str("vm"), a.u64("gfn"),
                        share))
                .apply((k, s) -> Outcome.of(GuestShare.pkvmHostShareGuest(k.gw(), s.host(), s.pfn(), s.vm(), s.gfn(),
                        s.share())))
                .done();
    }

    public static final Op<Step.PkvmGuestShare> PKVM_HOST_SHARE_GUEST = guestShare(true);
    public static final Op<Step.PkvmGuestShare> PKVM_HOST_UNSHARE_GUEST = guestShare(false);

    public static final Op<Step.Stage2SetOwner> KVM_PGTABLE_STAGE2_SET_OWNER = op("KVM_PGTABLE_STAGE2_SET_OWNER",
            Step.Stage2SetOwner.class)
            .fields(HOST, req("addr", U64), req("size", U64), req("owner_id", U64))
            .parse(a -> new Step.Stage2SetOwner(a.meta(), a.str("host"), a.u64("addr"), a.u64("size"),
                    a.u64("owner_id")))
            .apply((k, s) -> Outcome.of(k.gw().send(EntityId.host(s.host()),
                    new HostCommand.SetOwner(s.addr(), s.size(), s.ownerId())).errno()))
            .done();

    // the host's fault has no return value: the table gives HOST_MEM_ABORT only `result`
    public static final Op<Step.HostMemAbort> HOST_MEM_ABORT = op("HOST_MEM_ABORT", Step.HostMemAbort.class)
            .fields(HOST, req("pfn", U64), req("access", new FieldType.OneOf(List.of("read", "write", "exec"))))
            .expect(Set.of("result"))
            .parse(a -> new Step.HostMemAbort(a.meta(), a.str("host"), a.u64("pfn"),
                    Access.valueOf(a.str("access").toUpperCase(java.util.Locale.ROOT))))
            .apply((k, s) -> {
                Errno e = k.gw().send(EntityId.host(s.host()), new HostCommand.HostMemAbort(s.pfn(), s.access()))
                        .errno();
                return Outcome.results(Map.of("result", e == null ? "mapped" : "denied"));
            })
            .done();

    // ---- assertions ----

    /** CHECK: its selectors and keys are read by the trace reader's CHECK grammar (CheckKey). */
    public static final Op<Step.Check> CHECK = op("CHECK", Step.Check.class).expect(NO_EXPECT)
            .parse(a -> {
                throw new IllegalStateException("CHECK is read by the trace reader's CHECK grammar");
            })
            .apply((k, s) -> Checks.observe(k.gw(), s))
            .coverage((s, t) -> {
                for (CheckItem i : s.items()) {
                    if (i.key().x86Only && s.vm() != null && t.onArm64(s.vm())) {
                        return "CHECK " + i.key().traceName + " on an arm64 VM is not modelled (kvmsim models the x86 MMU)";
                    }
                }
                return null;
            })
            .done();

    // ---- lookups ----

    /** Every op, in the order trace-format.md lists them. */
    public static List<Op<?>> all() {
        return Collections.unmodifiableList(ALL);
    }

    /** The op called {@code name}, or null. */
    public static Op<?> byName(String name) {
        return BY_NAME.get(name);
    }

    /** The op that {@code step} is a step of. */
    public static Op<?> of(Step step) {
        for (Op<?> op : BY_TYPE.getOrDefault(step.getClass(), List.of())) {
            if (op.defines(step)) {
                return op;
            }
        }
        throw new IllegalArgumentException("no op defines " + step);
    }

    /** Runs the kernel code of {@code step}. */
    public static Outcome apply(Kernel kernel, Step step) {
        return of(step).apply(kernel, step);
    }
}
