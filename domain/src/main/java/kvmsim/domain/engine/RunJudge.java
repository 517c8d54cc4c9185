package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kvmsim.domain.audit.Auditor;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.TraceSource;

/**
 * What a replay does with each step once it ran, in trace order, whatever ran it: the auditor
 * sees its events, its expectations are judged, the listener hears of both, and the run's counts
 * grow. The sequential replay and the actor engine's concurrent one both judge through here, so a
 * step is judged the same however many ran beside it.
 */
public final class RunJudge {

    private final String runId;
    private final TraceSource trace;
    private final Policies policies;
    private final ReplayListener listener;
    private final Auditor auditor = new Auditor();
    private final Set<String> expectedViolations;
    private final Map<String, Long> passedThrough = new TreeMap<>();
    private long steps;
    private long events;
    private long mismatches;

    public RunJudge(String runId, TraceSource trace, Policies policies, ReplayListener listener) {
        if (!trace.notModelled().isEmpty()) {
            throw new IllegalArgumentException("trace has steps that are not modelled: " + trace.notModelled());
        }
        this.runId = runId;
        this.trace = trace;
        this.policies = policies;
        this.listener = listener;
        this.expectedViolations = trace.expectedViolations();
    }

    /** Asked between steps: whether the user asked the replay to stop. */
    public boolean stopRequested() {
        return listener.stopRequested();
    }

    /** An IOCTL step: counted by name, not applied (the model has nothing to say about it). */
    public void passedThrough(Step.Ioctl io) {
        steps++;
        passedThrough.merge(io.name(), 1L, Long::sum);
        listener.step(new StepResult(io.line(), io.op(), io.meta().thread(), null, null, List.of(), List.of(),
                io.name(), null, 0));
    }

    /**
     * A step that ran: its events in the order they were persisted, then its outcome judged.
     * Returns whether it failed (a mismatch, or a violation the trace does not expect).
     */
    public boolean judge(Step step, Outcome out, List<Emitted> stepEvents) {
        steps++;
        List<Violation> revealed = new ArrayList<>();
        for (Emitted e : stepEvents) {
            events++;
            listener.event(e.entity().path(), e.recorded());
            revealed.addAll(auditor.observe(e.entity(), e.recorded()));
        }
        revealed.addAll(auditor.endStep(step.line()));
        List<Mismatch> failed = Expectations.judge(step, out, auditor.brokenIds());
        mismatches += failed.size();
        listener.step(new StepResult(step.line(), step.op(), step.meta().thread(), out.errno(),
                Expectations.exitOf(step, out), failed, revealed, null,
                step instanceof Step.HostMemAbort ? (String) out.observed().get("result")
                        : out.ret() > 0 ? Long.toString(out.ret()) : null, // a count, e.g. KVM_RESET_DIRTY_RINGS
                out.ret()));
        return !failed.isEmpty() || revealed.stream().anyMatch(v -> !expectedViolations.contains(v.invariant()));
    }

    /** The run so far, as a report. */
    public RunReport report(boolean stoppedEarly, boolean interrupted) {
        List<Violation> all = auditor.violations();
        List<Violation> unexpected = all.stream().filter(v -> !expectedViolations.contains(v.invariant())).toList();
        return new RunReport(runId, trace.file(), policies.values(), steps, passedThrough, mismatches, events, all,
                unexpected, stoppedEarly, interrupted);
    }
}
