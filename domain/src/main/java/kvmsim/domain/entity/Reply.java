package kvmsim.domain.entity;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Errno;

/**
 * An entity's answer to a command: the errno (null on success) and what it persisted. It carries
 * no state: the driver is every entity's only sender, so it knows each state by folding these
 * events itself ({@link Gateway#state}). {@code trail} is empty unless the command waited on a
 * broadcast: then it holds every event of the command, the receivers' included, in the order they
 * happened.
 */
public record Reply(Errno errno, List<Recorded> events, List<Emitted> trail) {

    public Reply {
        events = List.copyOf(events);
        trail = List.copyOf(trail);
    }

    public Reply(Errno errno, List<Recorded> events) {
        this(errno, events, List.of());
    }

    public static Reply rejected(Errno errno) {
        return new Reply(errno, List.of());
    }

    public boolean ok() {
        return errno == null;
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

    /** Whether this command persisted an event of {@code type}. */
    public boolean persisted(Class<? extends Event> type) {
        return events.stream().anyMatch(r -> type.isInstance(r.event()));
    }
}
