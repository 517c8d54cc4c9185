package kvmsim.domain.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunRecorder;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.Trace;

/**
 * A kernel rule that spans entities (a flow: a lock pinning pages, KVM_RUN draining pending ops, a
 * guest fault), at the level of trace steps on the reference engine: given some steps, when one
 * more runs, then it returns this errno and these entities persisted these events.
 */
public final class StepsSpec {

    private final List<Step> steps = new ArrayList<>();
    private Map<String, String> policies = Map.of();
    private ReferenceEngine engine;
    private RunRecorder recorder;

    /** Adds a step; {@code make} gets the meta of its line. */
    public StepsSpec step(Function<StepMeta, Step> make) {
        steps.add(make.apply(new StepMeta(steps.size() + 1, "main", Expect.NONE)));
        return this;
    }

    public StepsSpec policies(Map<String, String> p) {
        policies = p;
        return this;
    }

    /** Replays every step so far from nothing; the last step's result. */
    public StepResult run() {
        engine = new ReferenceEngine();
        recorder = new RunRecorder();
        RunReport r = Replay.run("spec", new Trace("spec", steps), Policies.defaults().with(policies), engine, false,
                recorder);
        assertEquals(steps.size(), r.stepCount());
        List<StepResult> results = recorder.steps();
        return results.get(results.size() - 1);
    }

    /** Replays, and the last step returned {@code errno} (null: success). */
    public StepsSpec thenErrno(Errno errno) {
        assertEquals(errno, run().errno());
        return this;
    }

    /** What {@code entity} persisted at the last step's line, oldest first. */
    public List<Object> eventsOfLastStep(EntityId entity) {
        int line = steps.size();
        List<Object> out = new ArrayList<>();
        for (Recorded r : recorder.events().getOrDefault(entity.path(), List.of())) {
            if (r.line() == line) {
                out.add(r.event());
            }
        }
        return out;
    }

    public EntityState state(EntityId id) {
        return engine.state(id);
    }

    public RunRecorder recorder() {
        return recorder;
    }
}
