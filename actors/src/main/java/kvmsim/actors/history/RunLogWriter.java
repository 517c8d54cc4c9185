package kvmsim.actors.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.entity.JournalWatch;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.history.StepRecord;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Writes a run's log as the replay goes: the start, the judged steps in batches of {@link #BATCH}
 * (one journal write per batch, so keeping the steps costs the replay little), the finish. Each
 * write waits for the journal's acknowledgement, which comes once the write is in the database's
 * file (JournalLocation): the summary a replay prints after the finish survives a kill -9. A
 * batch not yet written when the process dies is judged again by {@code replay --resume}.
 */
public final class RunLogWriter {

    static final int BATCH = 512;

    private final ActorSystem<?> system;
    private final JournalWatch watch;
    private final ActorRef<RunLog.Record> log;
    private final List<StepRecord> pending = new ArrayList<>();
    private final Map<Integer, Map<String, Integer>> pendingEvents = new TreeMap<>();

    public RunLogWriter(KvmsimSystem sys, String runId, String actorName) {
        this.system = sys.system();
        this.watch = sys.journalWatch();
        this.log = watch.spawn(RunLog.create(runId), actorName, runId + RunLog.SUFFIX);
    }

    public void started(RunLog.RunStarted started) {
        record(started);
    }

    /** {@code replay --resume} goes on after the {@code fromStep} steps the log holds. */
    public void resumed(int fromStep) {
        record(new RunLog.RunResumed(fromStep, System.currentTimeMillis()));
    }

    /** A judged step, with how many events each of its entities persisted (by entity path). */
    public void step(StepResult result, Map<String, Integer> events) {
        pending.add(StepRecord.of(result));
        // steps that share a line (a trace's implicit HOST and its first step) share its count
        events.forEach((e, n) -> pendingEvents.computeIfAbsent(result.line(), l -> new TreeMap<>()).merge(e, n,
                Integer::sum));
        if (pending.size() >= BATCH) {
            flush();
        }
    }

    public void finished(RunLog.RunFinished finished) {
        flush();
        record(finished);
    }

    /** The user interrupted the replay: the steps judged so far are kept, then how many there were. */
    public void interrupted(int steps) {
        flush();
        record(new RunLog.RunInterrupted(steps, System.currentTimeMillis()));
    }

    /** The replay stopped on an error: the steps judged so far are kept, then why it stopped. */
    public void failed(String reason) {
        flush();
        record(new RunLog.RunFailed(reason, System.currentTimeMillis()));
    }

    private void flush() {
        if (!pending.isEmpty()) {
            record(new RunLog.StepsJudged(List.copyOf(pending), new TreeMap<>(pendingEvents)));
            pending.clear();
            pendingEvents.clear();
        }
    }

    // waits for the write, a second at a time: a run log whose journal refused the write has stopped,
    // and says so (JournalWatch) long before the ask would time out
    private void record(RunLog.RunEvent event) {
        Duration timeout = KvmsimSystem.driverTimeout(system);
        CompletableFuture<Boolean> written = AskPattern.<RunLog.Record, Boolean>ask(log,
                replyTo -> new RunLog.Record(event, replyTo), timeout, system.scheduler()).toCompletableFuture();
        try {
            JournalWatch.await(written, timeout, () -> watch.failed(log), "the run log");
        } catch (TimeoutException e) {
            throw new IllegalStateException("the run log did not confirm a write within " + timeout.toSeconds()
                    + " s (kvmsim.ask-timeout)", e);
        } catch (ExecutionException e) {
            RuntimeException failed = watch.failed(log);
            throw failed != null ? failed : new IllegalStateException("the run log's write failed: " + e.getCause(), e);
        }
    }
}
