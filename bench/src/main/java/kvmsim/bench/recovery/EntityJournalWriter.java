package kvmsim.bench.recovery;

import java.util.List;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.kernel.Entities;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.SnapshotFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Writes an entity's journal as a kvmsim entity would have written it, without running its
 * commands: the given events under the entity's persistence id, folded with the domain's own
 * evolve, and one snapshot of the state at a chosen sequence number, serialized by the same
 * serializer. A long entity's journal is then written in the time the journal takes, and the real
 * entity recovers from it as from its own.
 */
public final class EntityJournalWriter extends EventSourcedBehavior<EntityJournalWriter.Cmd, Recorded, EntityState> {

    public sealed interface Cmd {
    }

    /** Persist these events in one write; answered with the sequence number of the last. */
    public record Append(List<Recorded> events, ActorRef<Long> replyTo) implements Cmd {
    }

    /** Stop once every write before this one is done. */
    public record Stop() implements Cmd {
    }

    private final EntityId entity;
    private final long snapshotAt;
    private final ActorRef<Long> snapshotSaved;
    private long written;

    private EntityJournalWriter(String persistenceId, EntityId entity, long snapshotAt, ActorRef<Long> snapshotSaved) {
        super(PersistenceId.ofUniqueId(persistenceId));
        this.entity = entity;
        this.snapshotAt = snapshotAt;
        this.snapshotSaved = snapshotSaved;
    }

    /** {@code snapshotSaved} hears the snapshot's sequence number once it is stored, or -1 if storing it failed. */
    public static Behavior<Cmd> create(String persistenceId, EntityId entity, long snapshotAt,
            ActorRef<Long> snapshotSaved) {
        return new EntityJournalWriter(persistenceId, entity, snapshotAt, snapshotSaved);
    }

    @Override
    public EntityState emptyState() {
        return Entities.initial(entity);
    }

    @Override
    public CommandHandler<Cmd, Recorded, EntityState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Append.class, (state, a) -> Effect().persist(a.events()).thenRun(s -> {
                    written += a.events().size();
                    a.replyTo().tell(written);
                }))
                .onCommand(Stop.class, (state, s) -> Effect().stop())
                .build();
    }

    @Override
    public EventHandler<EntityState, Recorded> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(Entities::evolve);
    }

    @Override
    public boolean shouldSnapshot(EntityState state, Recorded event, long sequenceNr) {
        return sequenceNr == snapshotAt;
    }

    @Override
    public SignalHandler<EntityState> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(SnapshotCompleted.class, (state, done) -> snapshotSaved.tell(done.metadata().sequenceNr()))
                .onSignal(SnapshotFailed.class, (state, failed) -> snapshotSaved.tell(-1L))
                .build();
    }
}
