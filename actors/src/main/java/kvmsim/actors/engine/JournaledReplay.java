package kvmsim.actors.engine;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import kvmsim.actors.history.JournalFormat;
import kvmsim.actors.history.RunLog;
import kvmsim.actors.history.RunLogWriter;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.TraceSource;

/**
 * A replay on the actor engine that leaves a whole run in the journal: the run log's start, the
 * judged steps, the finish with the online check's violations, around the entities' own events.
 */
public final class JournaledReplay {

    private static final AtomicInteger LOGS = new AtomicInteger();

    private JournaledReplay() {
    }

    public static RunReport run(KvmsimSystem sys, String runId, TraceSource trace, Policies policies, boolean failFast,
            ReplayListener listener) {
        return run(new ActorEngine(sys, runId), sys, runId, trace, policies, ConcurrentReplay.DEFAULT_WINDOW, failFast,
                listener);
    }

    /**
     * As above on a given engine (whose counters of resent and rebuilt commands a caller wants to
     * read), with up to {@code window} steps in flight (ConcurrentReplay).
     */
    public static RunReport run(ActorEngine engine, KvmsimSystem sys, String runId, TraceSource trace,
            Policies policies, int window, boolean failFast, ReplayListener listener) {
        RunLogWriter log = new RunLogWriter(sys.system(), runId, "run-log-" + LOGS.incrementAndGet());
        log.started(new RunLog.RunStarted(trace.file(), "actors", policies.values(), System.currentTimeMillis(),
                JournalFormat.CURRENT, trace.expectedViolations().stream().sorted().toList()));
        ReplayListener both = new ReplayListener() {
            // the events of the step being judged, by entity: RunJudge hands them over before the step
            private final Map<String, Integer> stepEvents = new HashMap<>();

            @Override
            public void step(StepResult result) {
                log.step(result, stepEvents);
                stepEvents.clear();
                listener.step(result);
            }

            @Override
            public void event(String entityPath, Recorded recorded) {
                stepEvents.merge(entityPath, 1, Integer::sum);
                listener.event(entityPath, recorded);
            }

            @Override
            public boolean stopRequested() {
                return listener.stopRequested();
            }
        };
        RunReport r;
        try {
            r = ConcurrentReplay.run(runId, trace, policies, engine, window, failFast, both);
        } catch (RuntimeException e) {
            log.failed(String.valueOf(e.getMessage()));
            throw e;
        }
        if (r.interrupted()) {
            log.interrupted((int) Math.min(Integer.MAX_VALUE, r.stepCount()));
            return r;
        }
        log.finished(new RunLog.RunFinished((int) Math.min(Integer.MAX_VALUE, r.stepCount()), r.mismatchCount(),
                r.violations().size(), r.unexpected().size(), r.exitStatus(), System.currentTimeMillis(),
                r.eventCount(), r.violations()));
        return r;
    }
}
