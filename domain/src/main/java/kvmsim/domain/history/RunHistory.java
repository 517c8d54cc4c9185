package kvmsim.domain.history;

import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.StepOrder;

/**
 * A stored run as read back: its trace and policies, the steps as they were judged (empty for a
 * run written before steps were kept) and every event of its entities in step order: by the trace
 * line of the step that caused it, and in the journal's order within a step. (A concurrent replay
 * interleaves in the journal the events of steps that ran at the same time; each entity's own
 * events are in its journal's order either way.)
 */
public record RunHistory(String id, String trace, Map<String, String> policies, List<StepRecord> steps,
        List<Emitted> events) {

    public RunHistory {
        policies = Map.copyOf(policies);
        steps = List.copyOf(steps);
        events = List.copyOf(StepOrder.of(events));
    }
}
