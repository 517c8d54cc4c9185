package kvmsim.domain.x86;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.common.Arch;
import kvmsim.domain.common.Policies;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunRecorder;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.kernel.Recorded;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.Trace;
import kvmsim.domain.vcpu.GuestAccessKind;

/** Builds an x86 trace step by step, replays it on the reference engine, and gives the report. */
final class X86Run {

    static final long HVA = 0x7f0000000000L;

    private final List<Step> steps = new ArrayList<>();
    private final ReferenceEngine engine = new ReferenceEngine();

    X86Run(boolean adBits) {
        HostFeatures d = HostFeatures.defaults(Arch.X86_64);
        HostFeatures f = new HostFeatures(d.mte(), d.fwb(), d.pkvm(), adBits, d.smm(), d.memoryAttributes(),
                d.vmTypes(), d.gmemFlags(), d.memory());
        steps.add(new Step.HostDecl(meta(), "host0", Arch.X86_64, f, false));
        steps.add(new Step.CreateVm(meta(), "vm0", "host0", Arch.X86_64, "KVM_X86_DEFAULT_VM"));
    }

    private StepMeta meta() {
        return new StepMeta(steps.size() + 1, "main", Expect.NONE);
    }

    X86Run vcpus(int n) {
        for (int i = 0; i < n; i++) {
            steps.add(new Step.CreateVcpu(meta(), "vm0", i));
        }
        return this;
    }

    X86Run slot(long slot, long flags, long gpa, long size) {
        steps.add(new Step.SetUserMemoryRegion(meta(), "vm0", slot, flags, gpa, size, HVA + gpa));
        return this;
    }

    X86Run run(long vcpu) {
        steps.add(new Step.Run(meta(), "vm0", vcpu));
        return this;
    }

    X86Run write(long vcpu, long gpa) {
        steps.add(new Step.GuestAccess(meta(), "vm0", vcpu, GuestAccessKind.WRITE, gpa));
        return this;
    }

    X86Run read(long vcpu, long gpa) {
        steps.add(new Step.GuestAccess(meta(), "vm0", vcpu, GuestAccessKind.READ, gpa));
        return this;
    }

    X86Run clearYoung(long gpa, long length) {
        steps.add(new Step.MmuNotifier(meta(), "vm0", gpa, length, false));
        return this;
    }

    X86Run invalidate(long gpa, long length) {
        steps.add(new Step.MmuNotifier(meta(), "vm0", gpa, length, true));
        return this;
    }

    X86Run userspaceWrite(long gpa, long length) {
        steps.add(new Step.UserspaceWrite(meta(), "vm0", gpa, length));
        return this;
    }

    X86Run getDirtyLog(long slot) {
        steps.add(new Step.GetDirtyLog(meta(), "vm0", slot));
        return this;
    }

    X86Run clearDirtyLog(long slot, long first, long num, List<Long> pages) {
        steps.add(new Step.ClearDirtyLog(meta(), "vm0", slot, first, num, pages));
        return this;
    }

    X86Run enableManualProtect(long options) {
        steps.add(new Step.EnableCap(meta(), "vm0", "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2", 0,
                List.of(options, 0L, 0L, 0L)));
        return this;
    }

    /** The line the next step will have. */
    int nextLine() {
        return steps.size() + 1;
    }

    /** A replay's report with every step result and event it produced. */
    record Replayed(RunReport report, List<StepResult> steps, Map<String, List<Recorded>> events) {
        List<kvmsim.domain.audit.Violation> violations() {
            return report.violations();
        }
    }

    Replayed replay(String dirtyLogFlush) {
        Trace t = new Trace("x86-test", steps);
        RunRecorder rec = new RunRecorder();
        RunReport r = Replay.run("t", t, Policies.defaults().with(Map.of(Policies.DIRTY_LOG_FLUSH, dirtyLogFlush)),
                engine, false, rec);
        return new Replayed(r, rec.steps(), rec.events());
    }

    ReferenceEngine engine() {
        return engine;
    }

    static List<Object> eventsOf(Replayed r, String entity) {
        List<Object> out = new ArrayList<>();
        for (Recorded rec : r.events().getOrDefault(entity, List.of())) {
            out.add(rec.event());
        }
        return out;
    }
}
