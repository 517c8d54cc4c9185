package kvmsim.domain.engine;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityProtocol;
import kvmsim.domain.entity.EntityProtocol.Answer;
import kvmsim.domain.entity.EntityProtocol.Answered;
import kvmsim.domain.entity.EntityProtocol.Broadcasting;
import kvmsim.domain.entity.EntityProtocol.Completion;
import kvmsim.domain.entity.EntityProtocol.Delivery;
import kvmsim.domain.entity.EntityProtocol.Drop;
import kvmsim.domain.entity.EntityProtocol.Persist;
import kvmsim.domain.entity.EntityProtocol.Round;
import kvmsim.domain.entity.EntityProtocol.Stash;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Entities;

/**
 * One thread, in memory: the oracle the actor engine is tested against. It runs the same entity
 * protocol as the persistent actors, synchronously: a command that starts a broadcast is answered
 * only after every receiver, asked in receiver order, acknowledged and the completion was handled.
 */
public final class ReferenceEngine implements Engine {

    private final Map<EntityId, EntityState> states;
    // every entity a command reached since the last takeDelivered(), broadcast receivers included
    private final Set<EntityId> delivered = new HashSet<>();

    public ReferenceEngine() {
        this(Map.of());
    }

    /** An engine whose entities start in {@code states} (absent ones in their initial state). */
    public ReferenceEngine(Map<EntityId, EntityState> states) {
        this.states = new HashMap<>(states);
    }

    /** Every entity that persisted an event, in its current state: a copy the engine no longer changes. */
    public Map<EntityId, EntityState> states() {
        return Map.copyOf(states);
    }

    @Override
    public Reply send(int line, EntityId to, EntityCommand command) {
        delivered.add(to);
        return switch (EntityProtocol.onCommand(Entities.DECIDER, state(to), 0, new Delivery(line, command))) {
            case Answer a -> a.reply();
            case Persist p -> switch (EntityProtocol.afterPersist(persist(to, p.events()), p.events())) {
                case Answered a -> a.reply();
                case Broadcasting b -> broadcastAndComplete(to, b.round());
            };
            // one step at a time, and a broadcast completes before send returns: nothing is ever busy
            case Stash s -> throw new IllegalStateException(to.path() + " is waiting on a broadcast");
            case Drop d -> throw new IllegalStateException(to.path() + " dropped an unchecked command");
        };
    }

    private Reply broadcastAndComplete(EntityId to, Round round) {
        for (int i : round.missing()) {
            EntityId receiver = round.broadcast().to().get(i);
            round = round.with(Map.of(i, send(round.broadcast().line(), receiver, round.broadcast().request())));
        }
        Completion c = EntityProtocol.complete(Entities.DECIDER, state(to), round);
        persist(to, c.events());
        return EntityProtocol.replyAfterBroadcast(to, round, c);
    }

    private EntityState persist(EntityId to, List<Recorded> events) {
        EntityState s = state(to);
        for (Recorded r : events) {
            s = Entities.evolve(s, r);
        }
        states.put(to, s);
        return s;
    }

    @Override
    public List<Reply> broadcast(int line, List<EntityId> to, EntityCommand command) {
        return to.stream().map(id -> send(line, id, command)).toList();
    }

    /** The entities commands reached since the last call (a broadcast's receivers too), and forgets them. */
    public Set<EntityId> takeDelivered() {
        Set<EntityId> out = Set.copyOf(delivered);
        delivered.clear();
        return out;
    }

    @Override
    public EntityState state(EntityId id) {
        EntityState s = states.get(id);
        return s != null ? s : Entities.initial(id); // not built on every lookup: most entities have a state
    }
}
