package kvmsim.domain.kernel;

import java.util.List;
import kvmsim.domain.common.Errno;

/** An entity's answer to a command: the errno (null on success), its state after, what it persisted. */
public record Reply(Errno errno, EntityState state, List<Recorded> events) {

    public Reply {
        events = List.copyOf(events);
    }

    public boolean ok() {
        return errno == null;
    }

    @SuppressWarnings("unchecked")
    public <S extends EntityState> S stateAs(Class<S> type) {
        return (S) type.cast(state);
    }
}
