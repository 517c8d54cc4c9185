package kvmsim.domain.history;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Event;

/**
 * Where two stored runs part ways, step by step (by trace line): the kernel's answer and the
 * invariants the step broke, the events each entity persisted for it, and the state of every
 * entity the step touched in either run. Made for one trace under two policies; runs of different
 * traces are compared line by line all the same.
 */
public final class RunDiff {

    /**
     * RESULT: the kernel's answer or the invariants broken; EXPECTATIONS: a trace expectation (a
     * CHECK, an {@code expect}) that fails in one run and holds in the other; EVENTS; STATE.
     */
    public enum Kind { RESULT, EXPECTATIONS, EVENTS, STATE }

    /**
     * One step where the runs differ. {@code a}/{@code b} are the steps as judged (null where a run
     * has no step there or keeps no steps), the events are per entity, {@code state} holds each
     * touched entity's fields that differ after the step (before = run A, after = run B), and
     * {@code statesA}/{@code statesB} those entities' whole states after the step (absent where an
     * entity does not exist in that run).
     */
    public record Divergence(int line, Set<Kind> kinds, StepRecord a, StepRecord b,
            Map<EntityId, List<Event>> eventsA, Map<EntityId, List<Event>> eventsB,
            SortedMap<EntityId, List<FieldChange>> state, Map<EntityId, EntityState> statesA,
            Map<EntityId, EntityState> statesB) {

        public String op() {
            return a != null ? a.op() : b != null ? b.op() : "?";
        }

        /** The expectations that fail in run A and hold in run B, as replay prints them. */
        public List<String> failsOnlyInA() {
            return only(a, b);
        }

        /** The expectations that fail in run B and hold in run A. */
        public List<String> failsOnlyInB() {
            return only(b, a);
        }

        private static List<String> only(StepRecord in, StepRecord notIn) {
            if (in == null) {
                return List.of();
            }
            List<String> other = notIn == null ? List.of() : notIn.mismatches();
            return in.mismatches().stream().filter(m -> !other.contains(m)).toList();
        }
    }

    private RunDiff() {
    }

    /** Every divergence, oldest first. Results are compared only when both runs kept their steps. */
    public static List<Divergence> between(RunHistory a, RunHistory b) {
        boolean compareResults = !a.steps().isEmpty() && !b.steps().isEmpty();
        Map<Integer, StepRecord> stepsA = byLine(a.steps());
        Map<Integer, StepRecord> stepsB = byLine(b.steps());
        Map<Integer, Map<EntityId, List<Event>>> eventsA = eventsByLine(a.events());
        Map<Integer, Map<EntityId, List<Event>>> eventsB = eventsByLine(b.events());
        TreeSet<Integer> lines = new TreeSet<>(stepsA.keySet());
        lines.addAll(stepsB.keySet());
        lines.addAll(eventsA.keySet());
        lines.addAll(eventsB.keySet());
        StateFold foldA = new StateFold();
        StateFold foldB = new StateFold();
        int ia = 0;
        int ib = 0;
        List<Divergence> out = new ArrayList<>();
        for (int line : lines) {
            ia = foldThrough(a.events(), ia, line, foldA);
            ib = foldThrough(b.events(), ib, line, foldB);
            StepRecord sa = stepsA.get(line);
            StepRecord sb = stepsB.get(line);
            Map<EntityId, List<Event>> ea = eventsA.getOrDefault(line, Map.of());
            Map<EntityId, List<Event>> eb = eventsB.getOrDefault(line, Map.of());
            Set<Kind> kinds = EnumSet.noneOf(Kind.class);
            if (compareResults && !Objects.equals(verdict(sa), verdict(sb))) {
                kinds.add(Kind.RESULT);
            }
            if (compareResults && !Objects.equals(mismatches(sa), mismatches(sb))) {
                kinds.add(Kind.EXPECTATIONS);
            }
            if (!ea.equals(eb)) {
                kinds.add(Kind.EVENTS);
            }
            SortedMap<EntityId, List<FieldChange>> state = new TreeMap<>();
            Map<EntityId, EntityState> statesA = new TreeMap<>();
            Map<EntityId, EntityState> statesB = new TreeMap<>();
            Set<EntityId> touched = new TreeSet<>(ea.keySet());
            touched.addAll(eb.keySet());
            for (EntityId id : touched) {
                List<FieldChange> changes = FieldChange.between(StateFold.fields(foldA.state(id)),
                        StateFold.fields(foldB.state(id)));
                if (!changes.isEmpty()) {
                    state.put(id, changes);
                    if (foldA.state(id) != null) {
                        statesA.put(id, foldA.state(id));
                    }
                    if (foldB.state(id) != null) {
                        statesB.put(id, foldB.state(id));
                    }
                }
            }
            if (!state.isEmpty()) {
                kinds.add(Kind.STATE);
            }
            if (!kinds.isEmpty()) {
                out.add(new Divergence(line, kinds, sa, sb, ea, eb, state, statesA, statesB));
            }
        }
        return out;
    }

    private static String verdict(StepRecord s) {
        return s == null ? null : s.op() + " " + s.answer() + " " + s.violations();
    }

    private static Set<String> mismatches(StepRecord s) {
        return s == null ? Set.of() : Set.copyOf(s.mismatches());
    }

    private static int foldThrough(List<Emitted> events, int from, int line, StateFold fold) {
        int i = from;
        while (i < events.size() && events.get(i).recorded().line() <= line) {
            fold.apply(events.get(i++));
        }
        return i;
    }

    private static Map<Integer, StepRecord> byLine(List<StepRecord> steps) {
        Map<Integer, StepRecord> out = new LinkedHashMap<>();
        steps.forEach(s -> out.put(s.line(), s));
        return out;
    }

    // per line, per entity in entity order, the events in the entity's own order: two runs whose
    // broadcasts interleaved differently in the journal still persisted the same thing
    private static Map<Integer, Map<EntityId, List<Event>>> eventsByLine(List<Emitted> events) {
        Map<Integer, Map<EntityId, List<Event>>> out = new LinkedHashMap<>();
        for (Emitted e : events) {
            out.computeIfAbsent(e.recorded().line(), l -> new TreeMap<>())
                    .computeIfAbsent(e.entity(), x -> new ArrayList<>()).add(e.recorded().event());
        }
        return out;
    }
}
