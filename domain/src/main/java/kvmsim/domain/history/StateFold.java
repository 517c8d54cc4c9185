package kvmsim.domain.history;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.kernel.Entities;

/**
 * The states of a run's entities rebuilt from its events, with the same {@code evolve} the
 * entities recover with. An entity that has persisted nothing yet has no state here: it did not
 * exist at that point of the run.
 */
public final class StateFold {

    private final SortedMap<EntityId, EntityState> states = new TreeMap<>();

    public EntityState apply(Emitted e) {
        EntityState s = states.getOrDefault(e.entity(), Entities.initial(e.entity()));
        EntityState next = Entities.evolve(s, e.recorded());
        states.put(e.entity(), next);
        return next;
    }

    public EntityState state(EntityId id) {
        return states.get(id);
    }

    public SortedMap<EntityId, EntityState> states() {
        return Collections.unmodifiableSortedMap(states);
    }

    /** The states just after the step at trace line {@code line}: every event recorded at or before it, folded. */
    public static Map<EntityId, EntityState> at(List<Emitted> journalOrder, int line) {
        StateFold fold = new StateFold();
        for (Emitted e : journalOrder) {
            if (e.recorded().line() <= line) {
                fold.apply(e);
            }
        }
        return new TreeMap<>(fold.states);
    }

    /** What changed between the states after line {@code from} and after line {@code to}, by entity. */
    public static SortedMap<EntityId, List<FieldChange>> diff(List<Emitted> journalOrder, int from, int to) {
        Map<EntityId, EntityState> a = at(journalOrder, from);
        Map<EntityId, EntityState> b = at(journalOrder, to);
        SortedMap<EntityId, List<FieldChange>> out = new TreeMap<>();
        java.util.Set<EntityId> ids = new java.util.TreeSet<>(a.keySet());
        ids.addAll(b.keySet());
        for (EntityId id : ids) {
            List<FieldChange> changes = FieldChange.between(fields(a.get(id)), fields(b.get(id)));
            if (!changes.isEmpty()) {
                out.put(id, changes);
            }
        }
        return out;
    }

    static Map<String, String> fields(EntityState s) {
        return s == null ? Map.of() : StateFields.of(s);
    }
}
