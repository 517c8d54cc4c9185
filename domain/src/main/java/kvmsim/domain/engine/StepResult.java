package kvmsim.domain.engine;

import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.vcpu.GuestExit;

/**
 * What one step did: its return, its exit, the expectations that failed and the invariants it
 * broke. An IOCTL pass-through step is not applied: {@code passedThrough} names its ioctl. A step
 * with no return value of its own (HOST_MEM_ABORT) has its {@code outcome} instead, and so has one
 * that returns a count (KVM_RESET_DIRTY_RINGS), as its decimal text. {@code ret} is the return
 * value as the syscall gives it: -1 with {@code errno}, the count a counting ioctl returns, else 0.
 */
public record StepResult(int line, String op, String thread, Errno errno, GuestExit exit, List<Mismatch> mismatches,
        List<Violation> violations, String passedThrough, String outcome, long ret) {

    public StepResult {
        mismatches = List.copyOf(mismatches);
        violations = List.copyOf(violations);
    }

    public String result() {
        if (passedThrough != null) {
            return "passed through: " + passedThrough;
        }
        if (outcome != null) {
            return outcome;
        }
        return errno == null ? "0" : "-" + errno.name();
    }

    public boolean failed() {
        return !mismatches.isEmpty() || !violations.isEmpty();
    }
}
