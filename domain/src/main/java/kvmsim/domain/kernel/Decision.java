package kvmsim.domain.kernel;

import java.util.List;
import kvmsim.domain.common.Errno;

/** What {@code decide(state, command)} returns: the errno KVM returns, or the events to persist. */
public record Decision(Errno errno, List<Event> events) {

    public Decision {
        events = List.copyOf(events);
        if (errno != null && !events.isEmpty()) {
            throw new IllegalArgumentException("a rejection persists nothing");
        }
    }

    public static Decision reject(Errno errno) {
        return new Decision(errno, List.of());
    }

    public static Decision accept(Event... events) {
        return new Decision(null, List.of(events));
    }

    public static Decision accept(List<Event> events) {
        return new Decision(null, events);
    }

    /** Accepted with nothing to persist (a query, or a check that passed). */
    public static Decision ok() {
        return new Decision(null, List.of());
    }

    public boolean rejected() {
        return errno != null;
    }
}
