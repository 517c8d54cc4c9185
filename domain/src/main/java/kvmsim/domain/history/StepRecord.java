package kvmsim.domain.history;

import java.util.List;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.Mismatch;
import kvmsim.domain.engine.StepResult;

/**
 * What the journal keeps of one judged step, so a stored run can be compared with another without
 * replaying it: the result as replay prints it ({@code 0}, {@code -EINVAL}, {@code mapped}, ...), the
 * guest exit, the failed expectations and the invariants the step broke, and the trace's thread
 * (the VMM thread an imported strace line came from; null when the trace names none, and in runs
 * stored before the field existed).
 */
public record StepRecord(int line, String op, String result, String exit, List<String> mismatches,
        List<String> violations, String thread) {

    public StepRecord {
        mismatches = mismatches == null ? List.of() : List.copyOf(mismatches);
        violations = violations == null ? List.of() : List.copyOf(violations);
    }

    public static StepRecord of(StepResult s) {
        return new StepRecord(s.line(), s.op(), s.result(), s.exit() == null ? null : s.exit().name(),
                s.mismatches().stream().map(Mismatch::toString).toList(),
                s.violations().stream().map(Violation::invariant).toList(), s.thread());
    }

    /** What the kernel answered, without the trace's expectations: two runs of one trace agree on this or diverge. */
    public String answer() {
        return exit == null ? result : result + " " + exit;
    }
}
