package kvmsim.domain.audit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongConsumer;
import kvmsim.domain.entity.Emitted;

/**
 * Audits a stored run from its events alone: the same {@link Auditor} the replay runs online, fed
 * the journal's events in the journal's order, with a step ending wherever the trace line of the
 * events changes. Steps that persisted nothing have nothing for the auditor to check at their end.
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
        Auditor auditor = new Auditor();
        Integer line = null;
        long n = 0;
        for (Emitted e : journalOrder) {
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
