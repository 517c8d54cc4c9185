package kvmsim.domain.engine;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvmsim.domain.audit.Violation;

/**
 * A replayed trace, in counts ({@code interrupted}: asked to stop before its last step, by a signal): steps applied, steps passed through (IOCTL, by ioctl name), failed
 * expectations, persisted events; every violation and which of them the trace did not expect.
 * The steps and events themselves went to the run's {@link ReplayListener}.
 */
public record RunReport(String runId, String file, Map<String, String> policies, long stepCount,
        Map<String, Long> passedThrough, long mismatchCount, long eventCount, List<Violation> violations,
        List<Violation> unexpected, boolean stoppedEarly, boolean interrupted) {

    public RunReport {
        policies = Map.copyOf(policies);
        passedThrough = java.util.Collections.unmodifiableMap(new TreeMap<>(passedThrough));
        violations = List.copyOf(violations);
        unexpected = List.copyOf(unexpected);
    }

    public long passedThroughCount() {
        return passedThrough.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The steps the model applied: all but the IOCTL pass-throughs. */
    public long modelledCount() {
        return stepCount - passedThroughCount();
    }

    /** design.md: 0 when every expectation held and every broken invariant was expected, else 1. */
    public int exitStatus() {
        return mismatchCount == 0 && unexpected.isEmpty() ? 0 : 1;
    }
}
