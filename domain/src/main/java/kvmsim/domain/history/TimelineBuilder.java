package kvmsim.domain.history;

import java.util.ArrayList;
import java.util.Collections;
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
import kvmsim.domain.history.Timeline.Column;
import kvmsim.domain.history.Timeline.Flagged;
import kvmsim.domain.history.Timeline.Mark;
import kvmsim.domain.history.Timeline.Shootdown;

/** Lays a run out as a {@link Timeline}: columns, lanes, marks, then broadcasts and violations. */
final class TimelineBuilder {

    private final RunHistory run;
    private final List<Violation> violations;
    private final int from;
    private final int to;

    private final Map<Integer, StepRecord> steps = new HashMap<>();
    private final Map<Integer, Integer> columnOf = new HashMap<>();
    private final List<Integer> lines = new ArrayList<>();
    private final Map<EntityId, Integer> laneOf = new HashMap<>();
    private final List<String> lanes = new ArrayList<>();
    private final List<Mark> marks = new ArrayList<>();
    private final List<Shootdown> broadcasts = new ArrayList<>();
    private final Map<String, Integer> markOf = new HashMap<>();

    /** A broadcast whose completion has not been seen yet, and what is known of it so far. */
    private static final class Open {
        final int index;
        final Broadcast broadcast;
        final Map<EntityId, Integer> acks = new HashMap<>();

        Open(int index, Broadcast broadcast) {
            this.index = index;
            this.broadcast = broadcast;
        }
    }

    TimelineBuilder(RunHistory run, List<Violation> violations, int from, int to) {
        this.run = run;
        this.violations = violations;
        this.from = from;
        this.to = to;
    }

    Timeline build() {
        layColumns();
        layLanes();
        int[] perColumn = layMarks();
        List<Flagged> flagged = flag();
        Map<Integer, List<String>> flaggedAt = new HashMap<>();
        flagged.forEach(f -> flaggedAt.computeIfAbsent(f.line(), l -> new ArrayList<>()).add(f.invariant()));
        List<Column> columns = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            int line = lines.get(i);
            StepRecord s = steps.get(line);
            columns.add(new Column(line, s == null ? "" : s.op(), s == null ? "" : s.answer(),
                    s == null ? null : s.thread(), s == null ? List.of() : s.mismatches(),
                    flaggedAt.getOrDefault(line, List.of()), perColumn[i]));
        }
        return new Timeline(run.id(), run.trace(), new LinkedHashMap<>(run.policies()), columns, lanes, marks,
                broadcasts, flagged);
    }

    private boolean inWindow(int line) {
        return line >= from && line <= to;
    }

    private void layColumns() {
        TreeSet<Integer> sorted = new TreeSet<>();
        run.steps().forEach(s -> {
            if (inWindow(s.line())) {
                sorted.add(s.line());
                steps.put(s.line(), s);
            }
        });
        run.events().stream().map(e -> e.recorded().line()).filter(this::inWindow).forEach(sorted::add);
        for (int line : sorted) {
            columnOf.put(line, lines.size());
            lines.add(line);
        }
    }

    private void layLanes() {
        TreeSet<EntityId> entities = new TreeSet<>(LANE_ORDER);
        run.events().stream().filter(e -> columnOf.containsKey(e.recorded().line())).forEach(e -> entities.add(e.entity()));
        for (EntityId id : entities) {
            laneOf.put(id, lanes.size());
            lanes.add(id.path());
        }
    }

    /** Folds every event, draws those in the window, and follows each broadcast; returns the marks per column. */
    private int[] layMarks() {
        int[] perColumn = new int[lines.size()];
        Map<Long, Integer> stacks = new HashMap<>();
        Map<EntityId, Long> seqs = new HashMap<>();
        Map<EntityId, Open> open = new HashMap<>();
        StateFold fold = new StateFold();
        for (Emitted e : run.events()) {
            long seq = seqs.merge(e.entity(), 1L, Long::sum);
            EntityState before = fold.state(e.entity());
            Broadcast was = before == null ? null : before.awaiting();
            Broadcast now = fold.apply(e).awaiting();
            Integer column = columnOf.get(e.recorded().line());
            Mark m = null;
            if (column != null) { // outside the window an event is folded, not drawn
                int lane = laneOf.get(e.entity());
                int stack = stacks.merge(((long) column << 32) | lane, 1, Integer::sum) - 1;
                String text = e.recorded().event().toString();
                m = new Mark(marks.size(), column, lane, stack, perColumn[column]++, seq,
                        e.recorded().event().getClass().getSimpleName(), text);
                marks.add(m);
                markOf.putIfAbsent(key(e.recorded().line(), e.entity().path(), text), m.id());
                ack(open, e, m);
            }
            if (was != null && !was.equals(now)) {
                complete(open.remove(e.entity()), m);
            }
            if (now != null && !now.equals(was) && m != null) {
                open.put(e.entity(), request(now, m));
            }
        }
        open.values().forEach(o -> complete(o, null));
        return perColumn;
    }

    private Open request(Broadcast b, Mark m) {
        List<Integer> receivers = b.to().stream().filter(laneOf::containsKey).map(laneOf::get).toList();
        broadcasts.add(new Shootdown(m.id(), m.column(), m.lane(), receivers, b.request().getClass().getSimpleName(),
                Collections.nCopies(receivers.size(), -1), -1));
        return new Open(broadcasts.size() - 1, b);
    }

    // a receiver's first event on the broadcast's line, after the request, is its acknowledgement
    private static void ack(Map<EntityId, Open> open, Emitted e, Mark m) {
        for (Open o : open.values()) {
            if (o.broadcast.line() == e.recorded().line() && o.broadcast.to().contains(e.entity())) {
                o.acks.putIfAbsent(e.entity(), m.id());
            }
        }
    }

    private void complete(Open o, Mark completion) {
        if (o == null) {
            return;
        }
        Shootdown s = broadcasts.get(o.index);
        List<Integer> acks = o.broadcast.to().stream().filter(laneOf::containsKey)
                .map(id -> o.acks.getOrDefault(id, -1)).toList();
        broadcasts.set(o.index, new Shootdown(s.mark(), s.column(), s.fromLane(), s.toLanes(), s.request(), acks,
                completion == null ? -1 : completion.id()));
    }

    private List<Flagged> flag() {
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
        return flagged;
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
