package kvmsim.domain.audit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongConsumer;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.StepOrder;

/**
 * Audits a stored run from its events alone: the same {@link Auditor} the replay runs online, fed
 * the events step by step in trace order, each step's events in the journal's order, with a step
 * ending wherever the trace line changes. A concurrent replay interleaves the events of steps that
 * ran at the same time in the journal; grouping them by line gives back the order the replay
 * judged them in. Steps that persisted nothing have nothing for the auditor to check at their end.
 */
public final class OfflineAudit {

    /** The order {@code audit} reports in: by trace line, entity, invariant, then chain. */
    public static final Comparator<Violation> ORDER = Comparator.comparingInt(Violation::line)
            .thenComparing(Violation::entity).thenComparing(Violation::invariant)
            .thenComparing(v -> v.chain().toString());

    private OfflineAudit() {
    }

    public static List<Violation> audit(Iterable<Emitted> journalOrder) {
        return audit(journalOrder, n -> {
        });
    }

    /** As {@link #audit(Iterable)}, telling {@code progress} how many events it has folded so far, every 4096. */
    public static List<Violation> audit(Iterable<Emitted> journalOrder, LongConsumer progress) {
        List<Emitted> byStep = StepOrder.of(journalOrder);
        Auditor auditor = new Auditor();
        Integer line = null;
        long n = 0;
        for (Emitted e : byStep) {
            int l = e.recorded().line();
            if (line != null && l != line) {
                auditor.endStep(line);
            }
            line = l;
            auditor.observe(e.entity(), e.recorded());
            if ((++n & 4095) == 0) {
                progress.accept(n);
            }
        }
        if (line != null) {
            auditor.endStep(line);
        }
        progress.accept(n);
        List<Violation> out = new ArrayList<>(auditor.violations());
        out.sort(ORDER);
        return out;
    }
}
