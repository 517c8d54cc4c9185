package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import kvmsim.domain.audit.Auditor;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Kernel;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Ops;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.TraceSource;

/**
 * Applies a trace, step by step in file order, through an engine: the kernel's code runs against
 * the engine's entities, every persisted event goes to the auditor in order, and each step is
 * judged against its expectations. Both engines run through here, so they differ only in where
 * the entities live.
 */
public final class Replay {

    private Replay() {
    }

    /** The policies of a run: defaults, then the trace's POLICY step, then the command line's. */
    public static Policies policiesFor(TraceSource trace, Map<String, String> commandLine) {
        return Policies.defaults().with(trace.policy()).with(commandLine);
    }

    public static RunReport run(String runId, TraceSource trace, Policies policies, Engine engine, boolean failFast) {
        return run(runId, trace, policies, engine, failFast, ReplayListener.NONE);
    }

    /**
     * Replays {@code trace}, handing each step result and event to {@code listener} as it happens;
     * only counts and violations are kept, so a long trace replays in constant memory.
     */
    public static RunReport run(String runId, TraceSource trace, Policies policies, Engine engine, boolean failFast,
            ReplayListener listener) {
        if (!trace.notModelled().isEmpty()) {
            throw new IllegalArgumentException("trace has steps that are not modelled: " + trace.notModelled());
        }
        Auditor auditor = new Auditor();
        Set<String> expectedViolations = trace.expectedViolations();
        long[] events = {0};
        long steps = 0;
        long mismatchCount = 0;
        Map<String, Long> passedThrough = new TreeMap<>();
        boolean stopped = false;
        boolean interrupted = false;
        for (Step step : trace.steps()) {
            if (listener.stopRequested()) {
                interrupted = true;
                break;
            }
            steps++;
            if (step instanceof Step.Ioctl io) {
                // counted, not applied (trace-format.md): the model has nothing to say about it
                passedThrough.merge(io.name(), 1L, Long::sum);
                listener.step(new StepResult(step.line(), step.op(), step.meta().thread(), null, null, List.of(),
                        List.of(), io.name(), null));
                continue;
            }
            List<Violation> revealed = new ArrayList<>();
            Gateway gw = stepGateway(engine, step.line(), auditor, revealed, (path, rec) -> {
                events[0]++;
                listener.event(path, rec);
            });
            Outcome out = Ops.apply(new Kernel(gw, policies), step);
            revealed.addAll(auditor.endStep(step.line()));
            List<Mismatch> mismatches = Expectations.judge(step, out, auditor.brokenIds());
            mismatchCount += mismatches.size();
            listener.step(new StepResult(step.line(), step.op(), step.meta().thread(), out.errno(),
                    Expectations.exitOf(step, out), mismatches, revealed, null,
                    step instanceof Step.HostMemAbort ? (String) out.observed().get("result") : null));
            boolean unexpected = revealed.stream().anyMatch(v -> !expectedViolations.contains(v.invariant()));
            if (failFast && (!mismatches.isEmpty() || unexpected)) {
                stopped = true;
                break;
            }
        }
        List<Violation> all = auditor.violations();
        List<Violation> unexpected = all.stream().filter(v -> !expectedViolations.contains(v.invariant())).toList();
        return new RunReport(runId, trace.file(), policies.values(), steps, passedThrough, mismatchCount, events[0],
                all, unexpected, stopped, interrupted);
    }

    private static Gateway stepGateway(Engine engine, int line, Auditor auditor, List<Violation> revealed,
            BiConsumer<String, Recorded> events) {
        return new Gateway() {
            @Override
            public Reply send(EntityId to, EntityCommand command) {
                return observed(to, engine.send(line, to, command));
            }

            @Override
            public List<Reply> broadcast(List<EntityId> to, EntityCommand command) {
                List<Reply> replies = engine.broadcast(line, to, command);
                for (int i = 0; i < to.size(); i++) {
                    observed(to.get(i), replies.get(i));
                }
                return replies;
            }

            @Override
            public EntityState state(EntityId id) {
                return engine.state(id);
            }

            private Reply observed(EntityId to, Reply reply) {
                for (Emitted e : reply.emitted(to)) {
                    events.accept(e.entity().path(), e.recorded());
                    revealed.addAll(auditor.observe(e.entity(), e.recorded()));
                }
                return reply;
            }
        };
    }
}
