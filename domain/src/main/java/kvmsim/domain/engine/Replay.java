package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.audit.Auditor;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.common.EntityId;
import kvmsim.domain.common.Policies;
import kvmsim.domain.kernel.Emitted;
import kvmsim.domain.kernel.EntityCommand;
import kvmsim.domain.kernel.Gateway;
import kvmsim.domain.kernel.Kernel;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.kernel.Recorded;
import kvmsim.domain.kernel.Reply;
import kvmsim.domain.trace.CheckItem;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.Trace;

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
    public static Policies policiesFor(Trace trace, Map<String, String> commandLine) {
        return Policies.defaults().with(trace.policy()).with(commandLine);
    }

    public static RunReport run(String runId, Trace trace, Policies policies, Engine engine, boolean failFast) {
        if (!trace.notModelled().isEmpty()) {
            throw new IllegalArgumentException("trace has steps that are not modelled: " + trace.notModelled());
        }
        Auditor auditor = new Auditor();
        Map<String, List<Recorded>> events = new LinkedHashMap<>();
        List<StepResult> results = new ArrayList<>();
        Set<String> expectedViolations = expectedViolations(trace);
        boolean stopped = false;
        for (Step step : trace.steps()) {
            List<Violation> revealed = new ArrayList<>();
            Gateway gw = stepGateway(engine, step.line(), auditor, events, revealed);
            Outcome out = new Kernel(gw, policies).apply(step);
            revealed.addAll(auditor.endStep(step.line()));
            List<Mismatch> mismatches = Expectations.judge(step, out, auditor.brokenIds());
            results.add(new StepResult(step.line(), step.op(), step.meta().thread(), out.errno(),
                    Expectations.exitOf(step, out), mismatches, revealed));
            boolean unexpected = revealed.stream().anyMatch(v -> !expectedViolations.contains(v.invariant()));
            if (failFast && (!mismatches.isEmpty() || unexpected)) {
                stopped = true;
                break;
            }
        }
        List<Violation> all = auditor.violations();
        List<Violation> unexpected = all.stream().filter(v -> !expectedViolations.contains(v.invariant())).toList();
        return new RunReport(runId, trace.file(), policies.values(), results, all, unexpected, events, stopped);
    }

    /** Every invariant some `violations` CHECK of the trace lists: the bugs the trace means to show. */
    static Set<String> expectedViolations(Trace trace) {
        Set<String> ids = new HashSet<>();
        for (Step s : trace.steps()) {
            if (s instanceof Step.Check c) {
                for (CheckItem i : c.items()) {
                    if (i.key().equals("violations") && i.expected() instanceof java.util.Collection<?> ids2) {
                        ids2.forEach(x -> ids.add(x.toString()));
                    }
                }
            }
        }
        return ids;
    }

    private static Gateway stepGateway(Engine engine, int line, Auditor auditor, Map<String, List<Recorded>> events,
            List<Violation> revealed) {
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

            private Reply observed(EntityId to, Reply reply) {
                for (Emitted e : reply.emitted(to)) {
                    events.computeIfAbsent(e.entity().path(), k -> new ArrayList<>()).add(e.recorded());
                    revealed.addAll(auditor.observe(e.entity(), e.recorded()));
                }
                return reply;
            }
        };
    }
}
