package kvmsim.domain.entity;

import java.util.List;
import kvmsim.domain.abi.Errno;

/**
 * What {@code decide(state, command)} returns: the errno KVM returns, or the events to persist.
 * {@code again} holds events persisted earlier that answer a repeated request: a broadcast that
 * asks a receiver twice (the first answer timed out) must get the same answer, not an empty one.
 * A decision is one of the three: a rejection, new events, or a repeated answer.
 */
public record Decision(Errno errno, List<Event> events, List<Event> again) {

    public Decision {
        events = List.copyOf(events);
        again = List.copyOf(again);
        if (errno != null && !(events.isEmpty() && again.isEmpty())) {
            throw new IllegalArgumentException("a rejection persists nothing");
        }
        if (!events.isEmpty() && !again.isEmpty()) {
            throw new IllegalArgumentException("a repeated answer persists nothing new");
        }
    }

    /** A request handled before: nothing to persist, and these events, persisted then, are its answer. */
    public static Decision again(Event... persistedBefore) {
        return new Decision(null, List.of(), List.of(persistedBefore));
    }

    public static Decision reject(Errno errno) {
        return new Decision(errno, List.of(), List.of());
    }

    public static Decision accept(Event... events) {
        return new Decision(null, List.of(events), List.of());
    }

    public static Decision accept(List<Event> events) {
        return new Decision(null, events, List.of());
    }

    /** Accepted with nothing to persist (a check that passed, a request that changes nothing). */
    public static Decision ok() {
        return new Decision(null, List.of(), List.of());
    }

    public boolean rejected() {
        return errno != null;
    }
}
