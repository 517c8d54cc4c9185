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
 * @param last     the last step run, or null before the first; each links to the one before
 */
public record KernelState(Map<EntityId, EntityState> entities, Ran last) {

    /**
     * A step that ran: its trace line, the events it persisted in order, and the audit domain of each
     * ({@link TraceInterleaving#domainOf}).
     */
    public record Ran(int line, List<Emitted> events, List<String> domains, Ran before) {

        public Ran {
            events = List.copyOf(events);
            domains = List.copyOf(domains);
            if (domains.size() != events.size()) {
                throw new IllegalArgumentException("one domain per event");
            }
        }
    }

    public KernelState {
        entities = Map.copyOf(entities);
    }

    public static final KernelState INITIAL = new KernelState(Map.of(), null);

    /** The state after a step that ran from this one. */
    KernelState then(Map<EntityId, EntityState> after, int line, List<Emitted> events, List<String> domains) {
        return new KernelState(after, new Ran(line, events, domains, last));
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

    /** Only what can change what happens next: entity states, and each audit domain's input in its own order. */
    Object key() {
        Map<String, List<List<Emitted>>> audit = new java.util.HashMap<>();
        for (Ran r : history()) {
            Map<String, List<Emitted>> byDomain = new java.util.LinkedHashMap<>();
            for (int i = 0; i < r.events().size(); i++) {
                byDomain.computeIfAbsent(r.domains().get(i), x -> new ArrayList<>()).add(r.events().get(i));
            }
            byDomain.forEach((d, events) -> audit.computeIfAbsent(d, x -> new ArrayList<>()).add(events));
        }
        return List.of(entities, audit);
    }
}
