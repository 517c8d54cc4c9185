package kvmsim.bench.baseline;

import kvmsim.journal.serialization.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * The baseline kvmsim's entities are measured against: the smallest useful Pekko
 * EventSourcedBehavior, which persists one small event per command and replies once it is in the
 * journal. It runs on the same journal, serializer and dispatcher as the entities, so what it
 * reaches is what the journal can do; whatever the entities lose against it is kvmsim's own cost.
 */
public final class BareCounter extends EventSourcedBehavior<BareCounter.Increment, BareCounter.Incremented, Long> {

    /** Persist one event, then reply with the count. */
    public record Increment(ActorRef<Long> replyTo) {
    }

    /** The one small event. */
    public record Incremented(long by) implements CborSerializable {
    }

    private BareCounter(String persistenceId) {
        super(PersistenceId.ofUniqueId(persistenceId));
    }

    public static Behavior<Increment> create(String persistenceId) {
        return new BareCounter(persistenceId);
    }

    @Override
    public Long emptyState() {
        return 0L;
    }

    @Override
    public CommandHandler<Increment, Incremented, Long> commandHandler() {
        return newCommandHandlerBuilder().forAnyState().onCommand(Increment.class,
                (state, c) -> Effect().persist(new Incremented(1)).thenReply(c.replyTo(), s -> s)).build();
    }

    @Override
    public EventHandler<Long, Incremented> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> state + e.by());
    }
}
