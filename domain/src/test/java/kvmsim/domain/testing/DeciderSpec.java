package kvmsim.domain.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Event;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.kernel.Entities;

/**
 * A kernel rule at the level of one entity's decider: given the events it persisted, when a
 * command arrives, then it persists these events, or refuses with this errno, or changes nothing.
 *
 * <pre>
 * DeciderSpec.given(EntityId.slot("vm0", 0), new MemslotCreated(readonly))
 *         .when(new Lock(LockMode.WRITE))
 *         .thenErrno(Errno.EPERM);
 * </pre>
 */
public final class DeciderSpec {

    private final EntityState state;
    private Decision decision;

    private DeciderSpec(EntityState state) {
        this.state = state;
    }

    /** The entity {@code id} after persisting {@code events}, in order, by its own evolve. */
    public static DeciderSpec given(EntityId id, Event... events) {
        EntityState s = Entities.initial(id);
        for (Event e : events) {
            s = Entities.evolve(s, new Recorded(1, e));
        }
        return new DeciderSpec(s);
    }

    /** An entity in {@code state}, however it got there. */
    public static DeciderSpec givenState(EntityState state) {
        return new DeciderSpec(state);
    }

    public DeciderSpec when(EntityCommand command) {
        decision = Entities.decide(state, command);
        return this;
    }

    /** Accepted, persisting exactly these events, in this order. */
    public EntityState thenEvents(Event... expected) {
        assertNull(decision.errno(), "refused with " + decision.errno());
        assertEquals(List.of(expected), decision.events());
        EntityState s = state;
        for (Event e : expected) {
            s = Entities.evolve(s, new Recorded(1, e));
        }
        return s;
    }

    /** Refused with {@code errno}: nothing persisted. */
    public void thenErrno(Errno errno) {
        assertEquals(errno, decision.errno(), "events: " + decision.events());
    }

    /** Accepted with nothing to persist (a check that passed, or nothing to change). */
    public void thenNothing() {
        assertNull(decision.errno(), "refused with " + decision.errno());
        assertEquals(List.of(), decision.events());
        assertEquals(List.of(), decision.again());
    }

    /** Answered again with events persisted earlier, persisting nothing new. */
    public void thenAgain(Event... earlier) {
        assertNull(decision.errno());
        assertEquals(List.of(), decision.events());
        assertEquals(List.of(earlier), decision.again());
    }

    public Decision decision() {
        return decision;
    }

    /** The state before the command. */
    public EntityState state() {
        return state;
    }
}
