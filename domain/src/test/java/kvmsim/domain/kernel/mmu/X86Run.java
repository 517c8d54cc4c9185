package kvmsim.domain.kernel.mmu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunRecorder;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.Trace;
import kvmsim.domain.vcpu.GuestAccessKind;

/** Builds an x86 trace step by step, replays it on the reference engine, and gives the report. */
public final class X86Run {

    public static final long HVA = 0x7f0000000000L;

    private final List<Step> steps = new ArrayList<>();
    private ReferenceEngine engine = new ReferenceEngine();

    public X86Run(boolean adBits) {
        this(adBits, "KVM_X86_DEFAULT_VM", HostFeatures.defaults(Arch.X86_64));
    }

    /** vm0 of {@code vmType} on a host with {@code features} (A/D bits as given). */
    public X86Run(boolean adBits, String vmType, HostFeatures d) {
        HostFeatures f = d.with(HostFeature.AD_BITS, adBits);
        steps.add(new Step.HostDecl(meta(), "host0", Arch.X86_64, f, false));
        steps.add(new Step.CreateVm(meta(), "vm0", "host0", Arch.X86_64, vmType));
    }

    /** A software-protected VM (private memory, KVM may copy guest_memfd) on the default host. */
    public static X86Run swProtected() {
        return new X86Run(true, "KVM_X86_SW_PROTECTED_VM", HostFeatures.defaults(Arch.X86_64));
    }

    /** Adds any step; {@code make} gets the meta of the next line. */
    public X86Run step(java.util.function.Function<StepMeta, Step> make) {
        steps.add(make.apply(meta()));
        return this;
    }

    public X86Run createGmem(String gmem, long size, long flags) {
        return step(m -> new Step.CreateGuestMemfd(m, "vm0", gmem, size, flags));
    }

    /** KVM_SET_USER_MEMORY_REGION2 at hva HVA + gpa. */
    public X86Run region2(long slot, long flags, long gpa, long size, String gmem, long offset) {
        return step(m -> new Step.SetUserMemoryRegion2(m, "vm0", slot, flags, gpa, size, HVA + gpa, gmem, offset));
    }

    public X86Run attributes(long address, long size, long attributes) {
        return step(m -> new Step.SetMemoryAttributes(m, "vm0", address, size, attributes));
    }

    public X86Run kvmCopy(long gpa, long length, boolean write) {
        return step(m -> new Step.KvmGuestCopy(m, "vm0", gpa, length, write));
    }

    public X86Run gpcActivate(String gpc, long gpa, long length) {
        return step(m -> new Step.GpcActivate(m, "vm0", gpc, gpa, length));
    }

    public X86Run gpc(String gpc, Step.GpcStepKind kind) {
        return step(m -> new Step.GpcStep(m, "vm0", gpc, kind));
    }

    private StepMeta meta() {
        return new StepMeta(steps.size() + 1, "main", Expect.NONE);
    }

    public X86Run vcpus(int n) {
        for (int i = 0; i < n; i++) {
            steps.add(new Step.CreateVcpu(meta(), "vm0", i));
        }
        return this;
    }

    public X86Run slot(long slot, long flags, long gpa, long size) {
        steps.add(new Step.SetUserMemoryRegion(meta(), "vm0", slot, flags, gpa, size, HVA + gpa));
        return this;
    }

    public X86Run run(long vcpu) {
        steps.add(new Step.Run(meta(), "vm0", vcpu));
        return this;
    }

    public X86Run write(long vcpu, long gpa) {
        steps.add(new Step.GuestAccess(meta(), "vm0", vcpu, GuestAccessKind.WRITE, gpa));
        return this;
    }

    public X86Run read(long vcpu, long gpa) {
        steps.add(new Step.GuestAccess(meta(), "vm0", vcpu, GuestAccessKind.READ, gpa));
        return this;
    }

    X86Run clearYoung(long gpa, long length) {
        steps.add(new Step.MmuNotifier(meta(), "vm0", gpa, length, false));
        return this;
    }

    public X86Run invalidate(long gpa, long length) {
        steps.add(new Step.MmuNotifier(meta(), "vm0", gpa, length, true));
        return this;
    }

    X86Run userspaceWrite(long gpa, long length) {
        steps.add(new Step.UserspaceWrite(meta(), "vm0", gpa, length));
        return this;
    }

    public X86Run getDirtyLog(long slot) {
        steps.add(new Step.GetDirtyLog(meta(), "vm0", slot));
        return this;
    }

    X86Run clearDirtyLog(long slot, long first, long num, List<Long> pages) {
        steps.add(new Step.ClearDirtyLog(meta(), "vm0", slot, first, num, pages));
        return this;
    }

    X86Run enableManualProtect(long options) {
        steps.add(new Step.EnableCap(meta(), "vm0", kvmsim.domain.abi.Cap.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
                List.of(options, 0L, 0L, 0L)));
        return this;
    }

    /** The steps so far. */
    public List<Step> steps() {
        return List.copyOf(steps);
    }

    /** The line the next step will have. */
    public int nextLine() {
        return steps.size() + 1;
    }

    /** A replay's report with every step result and event it produced. */
    public record Replayed(RunReport report, List<StepResult> steps, Map<String, List<Recorded>> events) {
        public List<kvmsim.domain.audit.Violation> violations() {
            return report.violations();
        }

        /** The result of the step at {@code line}. */
        public StepResult at(int line) {
            return steps.stream().filter(s -> s.line() == line).findFirst().orElseThrow();
        }
    }

    Replayed replay(String dirtyLogFlush) {
        return replayWith(Map.of(Policies.DIRTY_LOG_FLUSH, dirtyLogFlush));
    }

    /** Replays under the default policies with {@code policies} laid over them. */
    public Replayed replayWith(Map<String, String> policies) {
        Trace t = new Trace("x86-test", steps);
        engine = new ReferenceEngine(); // each replay starts from nothing; engine() shows the last one's state
        RunRecorder rec = new RunRecorder();
        RunReport r = Replay.run("t", t, Policies.defaults().with(policies), engine, false, rec);
        return new Replayed(r, rec.steps(), rec.events());
    }

    /** The engine of the last replay. */
    public ReferenceEngine engine() {
        return engine;
    }

    public static List<Object> eventsOf(Replayed r, String entity) {
        List<Object> out = new ArrayList<>();
        for (Recorded rec : r.events().getOrDefault(entity, List.of())) {
            out.add(rec.event());
        }
        return out;
    }
}
