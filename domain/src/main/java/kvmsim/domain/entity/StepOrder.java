package kvmsim.domain.entity;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * A run's events in step order: by the trace line of the step that persisted them, and a step's
 * own events in the order given (the journal's, which is the order they happened in: a step sends
 * its commands one after the other). Steps that ran at the same time (replay --window) interleave
 * in the journal; read back, a run is judged, audited and shown in this order.
 */
public final class StepOrder {

    private StepOrder() {
    }

    /** {@code journalOrder} sorted stably by {@code line}. */
    public static <T> List<T> of(Iterable<T> journalOrder, ToIntFunction<T> line) {
        List<T> out = new ArrayList<>();
        journalOrder.forEach(out::add);
        out.sort(Comparator.comparingInt(line)); // List.sort is stable
        return out;
    }

    /** Events with the entity that persisted them, in step order. */
    public static List<Emitted> of(Iterable<Emitted> journalOrder) {
        return of(journalOrder, e -> e.recorded().line());
    }
}
