package kvmsim.actors.history;

import java.util.List;
import java.util.Map;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.history.StepRecord;
import kvmsim.journal.serialization.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * What a run was ({@code <run>/log}): its trace, engine, policies and journal format when it
 * started, its steps as they were judged (in batches), its verdict and violations when it ended.
 */
public final class RunLog extends EventSourcedBehavior<RunLog.Record, RunLog.RunEvent, RunLog.State> {

    public sealed interface RunEvent extends CborSerializable {
    }

    /**
     * {@code format} is {@link JournalFormat#CURRENT} when written; 0 when read from a run of format 1, which had no
     * field. {@code expectedViolations} are the invariant ids the trace's {@code violations} CHECKs list, sorted, so
     * {@code audit} judges a run as its replay did; {@code null} in runs written before it was kept.
     * {@code traceDigest} identifies the trace's content ({@link kvmsim.domain.trace.TraceSource#digest}), so that
     * {@code replay --resume} continues the run only with its own trace; {@code null} in runs written before it was
     * kept, which cannot be resumed.
     */
    public record RunStarted(String trace, String engine, Map<String, String> policies, long startedAtMillis,
            int format, List<String> expectedViolations, String traceDigest) implements RunEvent {

        public RunStarted(String trace, String engine, Map<String, String> policies, long startedAtMillis, int format,
                List<String> expectedViolations) {
            this(trace, engine, policies, startedAtMillis, format, expectedViolations, null);
        }

        /** Whether the trace expected {@code invariant} to be violated (never, for runs that did not keep the list). */
        public boolean expects(String invariant) {
            return expectedViolations != null && expectedViolations.contains(invariant);
        }
    }

    /**
     * Judged steps, oldest first: a replay persists them in batches, not one write per step.
     * {@code events} counts the events each step's entities persisted, by the step's trace line and
     * the entity's path (a step without events is absent; steps on one line add up), so {@code audit} can tell a journal
     * that lost or gained events from an intact one; {@code null} in runs written before it was kept.
     */
    public record StepsJudged(List<StepRecord> steps, Map<Integer, Map<String, Integer>> events) implements RunEvent {
    }

    /** {@code events} and {@code found} (the online check's violations) are absent from format 1 runs. */
    public record RunFinished(int steps, long mismatches, int violations, int unexpected, int exitStatus,
            long finishedAtMillis, long events, List<Violation> found) implements RunEvent {
    }

    /** The user stopped the replay (SIGINT or SIGTERM) after {@code steps} steps; they are all judged and kept. */
    public record RunInterrupted(int steps, long interruptedAtMillis) implements RunEvent {
    }

    /** The replay stopped on an error (an entity that never answered, a reply that could not be rebuilt). */
    public record RunFailed(String reason, long failedAtMillis) implements RunEvent {
    }

    /**
     * {@code replay --resume} took the run up again after its first {@code fromStep} steps, the ones
     * its log held: what follows continues the run, and a finish, failure or interruption recorded
     * before this no longer holds.
     */
    public record RunResumed(int fromStep, long resumedAtMillis) implements RunEvent {
    }

    public record Record(RunEvent event, ActorRef<Boolean> replyTo) implements CborSerializable {
    }

    public record State(int events) implements CborSerializable {
    }

    public static final String SUFFIX = "/log";

    private RunLog(String runId) {
        super(PersistenceId.ofUniqueId(runId + SUFFIX));
    }

    public static Behavior<Record> create(String runId) {
        return new RunLog(runId);
    }

    @Override
    public State emptyState() {
        return new State(0);
    }

    @Override
    public CommandHandler<Record, RunEvent, State> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Record.class, (s, r) -> Effect().persist(r.event()).thenReply(r.replyTo(), x -> true))
                .build();
    }

    @Override
    public EventHandler<State, RunEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> new State(s.events() + 1));
    }
}
