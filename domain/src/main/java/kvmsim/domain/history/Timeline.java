package kvmsim.domain.history;

import java.util.List;
import java.util.Map;
import kvmsim.domain.audit.Violation;

/**
 * A run laid out for the reports (the HTML page and the Chrome trace): one column per step, one
 * lane per entity (a host, then each VM followed by its vCPUs and memslots), one mark per event.
 * Inside a step the marks keep the journal's order ({@link Mark#slot()}), so a broadcast's
 * request, each receiver's acknowledgement and the completion can be drawn apart and in order.
 * A broadcast is found where an entity's state starts awaiting one (the same fact the engines act
 * on). Each violation points at the marks of its chain.
 */
public record Timeline(String run, String trace, Map<String, String> policies, List<Column> columns,
        List<String> lanes, List<Mark> marks, List<Shootdown> broadcasts, List<Flagged> violations) {

    /**
     * A step: its trace line, op and answer (op and answer are empty for a run that kept no steps),
     * the trace's thread (null if none), the expectations it failed, the invariants flagged at it,
     * and how many marks it holds.
     */
    public record Column(int line, String op, String result, String thread, List<String> mismatches,
            List<String> violations, int events) {
    }

    /**
     * An event: where it is drawn, and what the tooltip says. {@code stack} counts earlier marks in
     * the same cell; {@code slot} counts earlier marks in the same column, in the journal's order.
     */
    public record Mark(int id, int column, int lane, int stack, int slot, long seq, String event, String text) {
    }

    /**
     * A broadcast started by the event {@code mark}: the request sent to every lane in
     * {@code toLanes}; {@code acks} holds, per receiver in the same order, the mark of the first
     * event it persisted for the request (-1 if it persisted none in the window); {@code completion}
     * the mark where the sender stopped awaiting it (-1 if not in the window).
     */
    public record Shootdown(int mark, int column, int fromLane, List<Integer> toLanes, String request,
            List<Integer> acks, int completion) {
    }

    /** A violation at its entity's lane and step, with the marks of its chain (-1 for a link with no mark). */
    public record Flagged(String invariant, String entity, int line, int lane, int column, List<Integer> chainMarks,
            List<String> chain) {
    }

    public static Timeline of(RunHistory run, List<Violation> violations) {
        return of(run, violations, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /**
     * The steps from trace line {@code from} to {@code to} only. The whole run is still folded, so a
     * broadcast in the window knows its receivers and a mark's number is its sequence number in
     * the entity's journal.
     */
    public static Timeline of(RunHistory run, List<Violation> violations, int from, int to) {
        return new TimelineBuilder(run, violations, from, to).build();
    }
}
