package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.audit.ChainLink;
import kvmsim.domain.audit.Violation;

/** The human-readable replay report: a line per step, then each violation with its chain, then a summary. */
public final class TextReport {

    private TextReport() {
    }

    public static List<String> lines(RunReport r) {
        List<String> out = new ArrayList<>();
        out.add("run " + r.runId() + "  trace " + r.file() + "  policies " + r.policies());
        for (StepResult s : r.steps()) {
            StringBuilder b = new StringBuilder();
            b.append(String.format("%s:%d  %-28s %s", r.file(), s.line(), s.op(), s.result()));
            if (s.exit() != null) {
                b.append(" exit=").append(s.exit());
            }
            for (Mismatch m : s.mismatches()) {
                b.append("  MISMATCH ").append(m);
            }
            for (Violation v : s.violations()) {
                b.append("  VIOLATION ").append(v.invariant()).append(" at ").append(v.entity());
            }
            out.add(b.toString());
        }
        for (Violation v : r.violations()) {
            boolean expected = !r.unexpected().contains(v);
            out.add("violation " + v.invariant() + " at " + v.entity() + ", " + r.file() + ":" + v.line()
                    + (expected ? " (expected by the trace)" : " (UNEXPECTED)"));
            for (ChainLink l : v.chain()) {
                out.add("    " + r.file() + ":" + l.line() + "  " + l.entity() + "  " + l.event());
            }
        }
        out.add(String.format("%s: %d steps, %d mismatches, %d violations (%d unexpected), %d events%s -> exit %d",
                r.file(), r.steps().size(), r.mismatchCount(), r.violations().size(), r.unexpected().size(),
                r.eventCount(), r.stoppedEarly() ? ", stopped at the first failure" : "", r.exitStatus()));
        return out;
    }
}
