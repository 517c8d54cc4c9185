package kvmsim.actors.entity;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.common.EntityId;
import kvmsim.domain.kernel.Decision;
import kvmsim.domain.kernel.Entities;
import kvmsim.domain.kernel.EntityCommand;
import kvmsim.domain.kernel.EntityState;
import kvmsim.domain.kernel.Event;
import kvmsim.domain.kernel.Recorded;
import kvmsim.domain.kernel.Reply;
import kvmsim.journal.serialization.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * One host, VM, vCPU or memslot of one run, as a persistent actor. It is thin on purpose: the
 * domain's decider says what happens, this persists the events and replies after they are durable.
 * Its persistence id is {@code <run>/<kind>/<key>}, e.g. {@code r1/vcpu/vm0/0}.
 */
public final class KvmEntity extends EventSourcedBehavior<KvmEntity.Handle, Recorded, EntityState> {

    /** The one command: a domain command from a trace line, answered with a Reply. */
    public record Handle(int line, EntityCommand command, ActorRef<Reply> replyTo) implements CborSerializable {
    }

    private final EntityId entity;

    private KvmEntity(String persistenceId) {
        super(PersistenceId.ofUniqueId(persistenceId));
        this.entity = entityOf(persistenceId);
    }

    public static Behavior<Handle> create(String persistenceId) {
        return new KvmEntity(persistenceId);
    }

    /** {@code r1/vcpu/vm0/0} -> {@code vcpu/vm0/0}. */
    static EntityId entityOf(String persistenceId) {
        return EntityId.parse(persistenceId.substring(persistenceId.indexOf('/') + 1));
    }

    @Override
    public EntityState emptyState() {
        return Entities.initial(entity);
    }

    @Override
    public CommandHandler<Handle, Recorded, EntityState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState().onCommand(Handle.class, this::onHandle).build();
    }

    private Effect<Recorded, EntityState> onHandle(EntityState state, Handle h) {
        Decision d = Entities.decide(state, h.command());
        if (d.rejected() || d.events().isEmpty()) {
            return Effect().none().thenReply(h.replyTo(), s -> new Reply(d.errno(), s, List.of()));
        }
        List<Recorded> recorded = new ArrayList<>();
        for (Event e : d.events()) {
            recorded.add(new Recorded(h.line(), e));
        }
        return Effect().persist(recorded).thenReply(h.replyTo(), s -> new Reply(null, s, recorded));
    }

    @Override
    public EventHandler<EntityState, Recorded> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((s, r) -> Entities.evolve(s, r.event()));
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        // long-lived hosts and memslots recover from a snapshot plus at most 1000 events
        return RetentionCriteria.snapshotEvery(1000, 2);
    }
}
