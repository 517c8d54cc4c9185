package kvmsim.domain.explore.trace;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;

/**
 * One state of an exploration: every entity's state, and the steps run so far with their events (the auditor's input). Immutable:
 * a step makes a new state and shares the history before it.
 *
 * @param entities the entities that persisted something, in their current state (the others are in their initial state)
 * @param last       the last step run, or null before the first; each links to the one before
 * @param auditFacts the auditor's facts after the last step ({@link kvmsim.domain.audit.Auditor#facts()})
 */
public record KernelState(Map<EntityId, EntityState> entities, Ran last, Object auditFacts) {

    /** A step that ran: its trace line and the events it persisted, in order. */
    public record Ran(int line, List<Emitted> events, Ran before) {

        public Ran {
            events = List.copyOf(events);
        }
    }

    public KernelState {
        entities = Map.copyOf(entities);
    }

    public static final KernelState INITIAL = new KernelState(Map.of(), null, new kvmsim.domain.audit.Auditor().facts());

    /** The state after a step that ran from this one. */
    KernelState then(Map<EntityId, EntityState> after, int line, List<Emitted> events) {
        return new KernelState(after, new Ran(line, events, last), null);
    }

    KernelState withAuditFacts(Object facts) {
        return new KernelState(entities, last, facts);
    }

    /** The steps run so far, oldest first. */
    public List<Ran> history() {
        List<Ran> out = new ArrayList<>();
        for (Ran r = last; r != null; r = r.before()) {
            out.add(r);
        }
        Collections.reverse(out);
        return out;
    }

    /**
     * Only what can change what happens next: the entity states and the auditor's facts. The path that led here is not in it:
     * two orders that reach equal entities and equal facts are merged, whatever they did on the way.
     */
    Object key() {
        return List.of(entities, auditFacts);
    }
}
