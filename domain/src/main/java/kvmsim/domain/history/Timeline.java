package kvmsim.domain.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import kvmsim.domain.audit.ChainLink;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.entity.Broadcast;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;

/**
 * A run laid out for the HTML report: one column per step, one lane per entity (a host, then each
 * VM followed by its vCPUs and memslots), one mark per event. A broadcast is found where an
 * entity's state starts awaiting one (the same fact the engines act on), and is drawn from that
 * entity to each receiver. Each violation points at the marks of its chain.
 */
public record Timeline(String run, String trace, Map<String, String> policies, List<Column> columns,
        List<String> lanes, List<Mark> marks, List<Shootdown> broadcasts, List<Flagged> violations) {

    /** A step: its trace line, op and answer (op and answer are empty for a run that kept no steps). */
    public record Column(int line, String op, String result) {
    }

    /** An event: where it is drawn, and what the tooltip says. {@code stack} counts earlier marks in the same cell. */
    public record Mark(int id, int column, int lane, int stack, long seq, String event, String text) {
    }

    /** A broadcast started by the event {@code mark}: the request sent to every lane in {@code toLanes}. */
    public record Shootdown(int mark, int column, int fromLane, List<Integer> toLanes, String request) {
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
        TreeSet<Integer> lines = new TreeSet<>();
        Map<Integer, StepRecord> steps = new HashMap<>();
        run.steps().forEach(s -> {
            if (s.line() >= from && s.line() <= to) {
                lines.add(s.line());
                steps.put(s.line(), s);
            }
        });
        run.events().stream().map(e -> e.recorded().line()).filter(l -> l >= from && l <= to).forEach(lines::add);
        List<Column> columns = new ArrayList<>();
        Map<Integer, Integer> columnOf = new HashMap<>();
        for (int line : lines) {
            StepRecord s = steps.get(line);
            columnOf.put(line, columns.size());
            columns.add(new Column(line, s == null ? "" : s.op(), s == null ? "" : s.answer()));
        }
        TreeSet<EntityId> entities = new TreeSet<>(LANE_ORDER);
        run.events().stream().filter(e -> columnOf.containsKey(e.recorded().line())).forEach(e -> entities.add(e.entity()));
        List<String> lanes = new ArrayList<>();
        Map<EntityId, Integer> laneOf = new HashMap<>();
        for (EntityId id : entities) {
            laneOf.put(id, lanes.size());
            lanes.add(id.path());
        }
        List<Mark> marks = new ArrayList<>();
        List<Shootdown> broadcasts = new ArrayList<>();
        Map<String, Integer> markOf = new HashMap<>();
        Map<Long, Integer> stacks = new HashMap<>();
        Map<EntityId, Long> seqs = new HashMap<>();
        StateFold fold = new StateFold();
        for (Emitted e : run.events()) {
            long seq = seqs.merge(e.entity(), 1L, Long::sum);
            EntityState before = fold.state(e.entity());
            Broadcast was = before == null ? null : before.awaiting();
            Broadcast now = fold.apply(e).awaiting();
            Integer column = columnOf.get(e.recorded().line());
            if (column == null) {
                continue; // outside the window: folded, not drawn
            }
            int lane = laneOf.get(e.entity());
            int stack = stacks.merge(((long) column << 32) | lane, 1, Integer::sum) - 1;
            String text = e.recorded().event().toString();
            Mark m = new Mark(marks.size(), column, lane, stack, seq, e.recorded().event().getClass().getSimpleName(),
                    text);
            marks.add(m);
            markOf.putIfAbsent(key(e.recorded().line(), e.entity().path(), text), m.id());
            if (now != null && was == null) {
                List<Integer> receivers = now.to().stream().filter(laneOf::containsKey).map(laneOf::get).toList();
                broadcasts.add(new Shootdown(m.id(), column, lane, receivers, now.request().getClass().getSimpleName()));
            }
        }
        List<Flagged> flagged = new ArrayList<>();
        for (Violation v : violations) {
            List<Integer> chainMarks = new ArrayList<>();
            List<String> chain = new ArrayList<>();
            for (ChainLink l : v.chain()) {
                chainMarks.add(markOf.getOrDefault(key(l.line(), l.entity(), l.event().toString()), -1));
                chain.add(l.toString());
            }
            EntityId id = EntityId.parse(v.entity());
            flagged.add(new Flagged(v.invariant(), v.entity(), v.line(), laneOf.getOrDefault(id, -1),
                    columnOf.getOrDefault(v.line(), -1), chainMarks, chain));
        }
        return new Timeline(run.id(), run.trace(), new LinkedHashMap<>(run.policies()), columns, lanes, marks,
                broadcasts, flagged);
    }

    private static String key(int line, String entity, String text) {
        return line + "|" + entity + "|" + text;
    }

    // a host first, then each VM with its vCPUs and memslots under it
    private static final Comparator<EntityId> LANE_ORDER = Comparator
            .comparing((EntityId id) -> id.kind() == EntityId.Kind.HOST ? "" : vmOf(id))
            .thenComparing(EntityId::kind)
            .thenComparing(id -> id.key().length())
            .thenComparing(EntityId::key);

    private static String vmOf(EntityId id) {
        int slash = id.key().indexOf('/');
        return "\u0001" + (slash < 0 ? id.key() : id.key().substring(0, slash));
    }
}
