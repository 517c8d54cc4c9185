package kvmsim.domain.explore.trace;

import java.util.List;
import java.util.Map;
import kvmsim.domain.audit.Auditor;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;

/**
 * One state of an exploration: every entity's state, and the auditor after the steps run so far. Immutable: a step makes a
 * new state, and folds its events into a copy of this state's auditor.
 *
 * @param entities the entities that persisted something, in their current state (the others are in their initial state)
 * @param audit    the auditor after the last step, and its facts ({@link Auditor#facts()})
 */
public record KernelState(Map<EntityId, EntityState> entities, Audit audit) {

    /**
     * An auditor no one folds into any more, and the image of its facts, by which states compare. A step copies it
     * ({@link Auditor#copy()}): folding the step's events alone gives what folding the whole path would.
     */
    public static final class Audit {

        private final Auditor auditor;
        private final Object facts;

        Audit(Auditor auditor) {
            this.auditor = auditor;
            this.facts = auditor.facts();
        }

        /** A copy to fold the next step into. */
        Auditor next() {
            return auditor.copy();
        }

        public Object facts() {
            return facts;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Audit a && facts.equals(a.facts);
        }

        @Override
        public int hashCode() {
            return facts.hashCode();
        }
    }

    public KernelState {
        entities = Map.copyOf(entities);
    }

    public static final KernelState INITIAL = new KernelState(Map.of(), new Audit(new Auditor()));

    /** The state after a step that ran from this one: the entities after it, and the auditor that folded its events. */
    KernelState then(Map<EntityId, EntityState> after, Auditor folded) {
        return new KernelState(after, new Audit(folded));
    }

    /**
     * Only what can change what happens next: the entity states and the auditor's facts. The path that led here is not in it:
     * two orders that reach equal entities and equal facts are merged, whatever they did on the way.
     */
    Object key() {
        return List.of(entities, audit.facts());
    }
}
