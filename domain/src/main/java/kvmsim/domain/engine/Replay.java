package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Gateway;
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
        RunJudge judge = new RunJudge(runId, trace, policies, listener);
        for (Step step : trace.steps()) {
            if (judge.stopRequested()) {
                return judge.report(false, true);
            }
            if (step instanceof Step.Ioctl io) {
                judge.passedThrough(io);
                continue;
            }
            List<Emitted> events = new ArrayList<>();
            Outcome out = Ops.apply(new Kernel(gateway(engine, step.line(), events), policies), step);
            if (judge.judge(step, out, events) && failFast) {
                return judge.report(true, false);
            }
        }
        return judge.report(false, false);
    }

    /**
     * The gateway one step's kernel code runs through: commands go to {@code engine} with the step's
     * line, and every event they caused is added to {@code events}, in order.
     */
    public static Gateway gateway(Engine engine, int line, List<Emitted> events) {
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
                events.addAll(reply.emitted(to));
                return reply;
            }
        };
    }
}
