package kvmsim.domain.entity;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Errno;

/**
 * An entity's answer to a command: the errno (null on success), its state after, what it persisted.
 * {@code trail} is empty unless the command waited on a broadcast: then it holds every event of the
 * command, the receivers' included, in the order they happened.
 */
public record Reply(Errno errno, EntityState state, List<Recorded> events, List<Emitted> trail) {

    public Reply {
        events = List.copyOf(events);
        trail = List.copyOf(trail);
    }

    public Reply(Errno errno, EntityState state, List<Recorded> events) {
        this(errno, state, events, List.of());
    }

    public boolean ok() {
        return errno == null;
    }

    @SuppressWarnings("unchecked")
    public <S extends EntityState> S stateAs(Class<S> type) {
        return (S) type.cast(state);
    }

    /** Every event this command caused, each with the entity that persisted it; {@code self} answered. */
    public List<Emitted> emitted(EntityId self) {
        if (!trail.isEmpty()) {
            return trail;
        }
        List<Emitted> out = new ArrayList<>();
        for (Recorded r : events) {
            out.add(new Emitted(self, r));
        }
        return out;
    }

    /**
     * The reply of a command that waited on a broadcast: {@code started} is the reply that persisted
     * its start, {@code acks} the receivers' replies in {@code to} order, {@code completed} the
     * reply to the completion.
     */
    public static Reply afterBroadcast(EntityId self, Reply started, List<EntityId> to, List<Reply> acks,
            Reply completed) {
        List<Emitted> trail = new ArrayList<>(started.emitted(self));
        List<Recorded> own = new ArrayList<>(started.events());
        for (int i = 0; i < to.size(); i++) {
            trail.addAll(acks.get(i).emitted(to.get(i)));
        }
        trail.addAll(completed.emitted(self));
        own.addAll(completed.events());
        return new Reply(completed.errno(), completed.state(), own, trail);
    }
}
