package kvmsim.domain.engine;

import java.util.List;
import java.util.Map;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.kernel.Recorded;

/**
 * A replayed trace: every step's result, every violation, which of them the trace did not expect,
 * and the events each entity persisted (by entity path, oldest first).
 */
public record RunReport(String runId, String file, Map<String, String> policies, List<StepResult> steps,
        List<Violation> violations, List<Violation> unexpected, Map<String, List<Recorded>> events,
        boolean stoppedEarly) {

    public RunReport {
        policies = Map.copyOf(policies);
        steps = List.copyOf(steps);
        violations = List.copyOf(violations);
        unexpected = List.copyOf(unexpected);
        events = Map.copyOf(events);
    }

    public long mismatchCount() {
        return steps.stream().mapToLong(s -> s.mismatches().size()).sum();
    }

    public long eventCount() {
        return events.values().stream().mapToLong(List::size).sum();
    }

    /** design.md: 0 when every expectation held and every broken invariant was expected, else 1. */
    public int exitStatus() {
        return mismatchCount() == 0 && unexpected.isEmpty() ? 0 : 1;
    }
}
