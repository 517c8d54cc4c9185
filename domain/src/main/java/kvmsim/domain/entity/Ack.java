package kvmsim.domain.entity;

import java.util.List;

/** One receiver's answer to a broadcast: its errno (null when it complied) and what it persisted. */
public record Ack(EntityId from, kvmsim.domain.abi.Errno errno, List<Event> events) {

    public Ack {
        events = List.copyOf(events);
    }

    public static Ack of(EntityId from, Reply reply) {
        return new Ack(from, reply.errno(), reply.events().stream().map(Recorded::event).toList());
    }
}
