package kvmsim.actors.history;

import java.util.Map;
import kvmsim.journal.serialization.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/** What a run was: its trace, engine and policies when it started, its verdict when it ended ({@code <run>/log}). */
public final class RunLog extends EventSourcedBehavior<RunLog.Record, RunLog.RunEvent, RunLog.State> {

    public interface RunEvent extends CborSerializable {
    }

    public record RunStarted(String trace, String engine, Map<String, String> policies, long startedAtMillis)
            implements RunEvent {
    }

    public record RunFinished(int steps, long mismatches, int violations, int unexpected, int exitStatus,
            long finishedAtMillis) implements RunEvent {
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
