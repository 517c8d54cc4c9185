package kvmsim.domain.kernel;

import java.util.List;
import kvmsim.domain.common.EntityId;

/** One receiver's answer to a broadcast: its errno (null when it complied) and what it persisted. */
public record Ack(EntityId from, kvmsim.domain.common.Errno errno, List<Event> events) {

    public Ack {
        events = List.copyOf(events);
    }

    public static Ack of(EntityId from, Reply reply) {
        return new Ack(from, reply.errno(), reply.events().stream().map(Recorded::event).toList());
    }
}
