package kvmsim.actors.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import kvmsim.actors.history.JournalFormat;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.RunLog;
import kvmsim.actors.history.RunLogWriter;
import kvmsim.actors.history.StoredRun;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.EntityId;
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
        RunLogWriter log = new RunLogWriter(sys, runId, "run-log-" + LOGS.incrementAndGet());
        log.started(new RunLog.RunStarted(trace.file(), "actors", policies.values(), System.currentTimeMillis(),
                JournalFormat.CURRENT, trace.expectedViolations().stream().sorted().toList(), trace.digest()));
        return logged(log, runId, trace, policies, engine, window, failFast, listener, null);
    }

    /**
     * Continues {@code run}, interrupted (killed, stopped by the user, or failed): every entity of
     * the run is started and recovers from its journal, finishing a broadcast it was in the middle
     * of; the steps the run log holds are judged again from the reference engine's plan (so the
     * verdict covers the whole run) without being printed, logged or sent; then the replay goes on,
     * sending only the commands the journal does not hold yet. The caller checked that
     * {@code trace} and {@code policies} are the run's own.
     */
    public static RunReport resume(ActorEngine engine, KvmsimSystem sys, StoredRun run, TraceSource trace,
            Policies policies, int window, boolean failFast, ReplayListener listener) {
        String runId = run.id();
        ResumePoint point = new ResumePoint(run.steps().size(), settledJournal(engine, sys, runId));
        RunLogWriter log = new RunLogWriter(sys, runId, "run-log-" + LOGS.incrementAndGet());
        log.resumed(run.steps().size());
        return logged(log, runId, trace, policies, engine, window, failFast, listener, point);
    }

    // each entity's journal length once every entity of the run recovered: twice, since a
    // broadcaster that finishes its broadcast on recovery may write to receivers that had nothing
    private static Map<EntityId, Long> settledJournal(ActorEngine engine, KvmsimSystem sys, String runId) {
        Map<EntityId, Long> counts = Map.of();
        for (int pass = 0; pass < 2; pass++) {
            List<EntityId> ids = new ArrayList<>();
            for (String pid : new JournalReader(sys.system()).persistenceIds()) {
                if (pid.startsWith(runId + "/") && !pid.endsWith(RunLog.SUFFIX)) {
                    ids.add(EntityId.parse(pid.substring(runId.length() + 1)));
                }
            }
            counts = engine.journalCounts(ids);
        }
        return counts;
    }

    // the first n steps were judged and logged before: they are judged again but not told again
    private static ReplayListener quietFor(long n, ReplayListener listener) {
        return new ReplayListener() {
            private long seen;

            @Override
            public void step(StepResult result) {
                if (seen++ >= n) {
                    listener.step(result);
                }
            }

            @Override
            public void event(String entityPath, Recorded recorded) {
                if (seen >= n) {
                    listener.event(entityPath, recorded);
                }
            }

            @Override
            public boolean stopRequested() {
                return listener.stopRequested();
            }
        };
    }

    private static RunReport logged(RunLogWriter log, String runId, TraceSource trace, Policies policies,
            ActorEngine engine, int window, boolean failFast, ReplayListener listener, ResumePoint resume) {
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
            r = ConcurrentReplay.run(runId, trace, policies, engine, window, failFast,
                    resume == null ? both : quietFor(resume.judged(), both), resume);
        } catch (RuntimeException e) {
            try {
                log.failed(String.valueOf(e.getMessage()));
            } catch (RuntimeException logFailed) {
                e.addSuppressed(logFailed); // the same journal, most likely: the first failure is the one to tell
            }
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
