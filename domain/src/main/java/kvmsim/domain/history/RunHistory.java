package kvmsim.domain.history;

import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.Emitted;

/**
 * A stored run as read back: its trace and policies, the steps as they were judged (empty for a
 * run written before steps were kept) and every event of its entities in the journal's order.
 */
public record RunHistory(String id, String trace, Map<String, String> policies, List<StepRecord> steps,
        List<Emitted> events) {

    public RunHistory {
        policies = Map.copyOf(policies);
        steps = List.copyOf(steps);
        events = List.copyOf(events);
    }
}
