package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.audit.ChainLink;
import kvmsim.domain.audit.Violation;

/**
 * The human-readable replay report, printed as the run goes: a header, a line per step (or only
 * the failing ones), then each violation with its chain and a summary.
 */
public final class TextReport {

    private TextReport() {
    }

    public static String header(String runId, String file, Map<String, String> policies) {
        return "run " + runId + "  trace " + file + "  policies " + new java.util.TreeMap<>(policies);
    }

    public static String step(String file, StepResult s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%s:%d  %-28s %s", file, s.line(), s.op(), s.result()));
        if (s.exit() != null) {
            b.append(" exit=").append(s.exit());
        }
        for (Mismatch m : s.mismatches()) {
            b.append("  MISMATCH ").append(m);
        }
        for (Violation v : s.violations()) {
            b.append("  VIOLATION ").append(v.invariant()).append(" at ").append(v.entity());
        }
        return b.toString();
    }

    /** A violation and, indented under it, the chain of events behind it, each at its trace line. */
    public static List<String> violation(String file, Violation v, String note) {
        List<String> out = new ArrayList<>();
        out.add("violation " + v.invariant() + " at " + v.entity() + ", " + file + ":" + v.line() + note);
        for (ChainLink l : v.chain()) {
            out.add("    " + file + ":" + l.line() + "  " + l.entity() + "  " + l.event());
        }
        return out;
    }

    /** Each violation with its chain, then the summary lines. */
    public static List<String> footer(RunReport r) {
        List<String> out = new ArrayList<>();
        for (Violation v : r.violations()) {
            boolean expected = !r.unexpected().contains(v);
            out.addAll(violation(r.file(), v, expected ? " (expected by the trace)" : " (UNEXPECTED)"));
        }
        if (!r.passedThrough().isEmpty()) {
            StringBuilder b = new StringBuilder(r.file() + ": passed through, not modelled:");
            r.passedThrough().entrySet().stream()
                    .sorted((x, y) -> x.getValue().equals(y.getValue()) ? x.getKey().compareTo(y.getKey())
                            : Long.compare(y.getValue(), x.getValue()))
                    .forEach(e -> b.append(' ').append(e.getKey()).append('=').append(e.getValue()));
            out.add(b.toString());
        }
        String steps = r.passedThrough().isEmpty() ? r.stepCount() + " steps"
                : String.format("%d steps (%d modelled, %d passed through)", r.stepCount(), r.modelledCount(),
                        r.passedThroughCount());
        out.add(String.format("%s: %s, %d mismatches, %d violations (%d unexpected), %d events%s -> exit %d",
                r.file(), steps, r.mismatchCount(), r.violations().size(), r.unexpected().size(),
                r.eventCount(), r.stoppedEarly() ? ", stopped at the first failure"
                        : r.interrupted() ? ", interrupted" : "", r.interrupted() ? 130 : r.exitStatus()));
        return out;
    }
}
