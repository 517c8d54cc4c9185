package kvmsim.actors.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import kvmsim.domain.history.Timeline;

/**
 * The arrows of a trace-event export, as points on marks: per broadcast receiver one flow request
 * -> its acknowledgement -> the completion; per violation one flow along its chain. Each flow has
 * its own id (Perfetto ignores a second flow start with an id already used) and all of its points
 * share that id, the category and the name, which is how the importers match them.
 */
final class TraceFlows {

    /** One end or step of a flow, drawn on a mark: {@code phase} is s, t or f. */
    record Point(long id, String cat, String name, String phase) {
    }

    private final Map<Integer, List<Point>> byMark = new HashMap<>();
    private long nextId = 1;
    private int broadcastFlows;
    private int violationFlows;

    TraceFlows(Timeline t) {
        for (Timeline.Shootdown b : t.broadcasts()) {
            for (int i = 0; i < b.toLanes().size(); i++) {
                List<Integer> path = new ArrayList<>();
                path.add(b.mark());
                path.add(b.acks().get(i));
                path.add(b.completion());
                if (add("broadcast", b.request(), path, t) ) {
                    broadcastFlows++;
                }
            }
        }
        for (Timeline.Flagged v : t.violations()) {
            if (add("violation", v.invariant(), v.chainMarks(), t)) {
                violationFlows++;
            }
        }
    }

    /** The flow points to draw on a mark, in the order they were made. */
    List<Point> at(int mark) {
        return byMark.getOrDefault(mark, List.of());
    }

    int broadcastFlows() {
        return broadcastFlows;
    }

    int violationFlows() {
        return violationFlows;
    }

    // marks missing from the window (-1) are skipped; the rest in time order, each once. A flow
    // needs two ends, so a path left with one mark draws nothing.
    private boolean add(String cat, String name, List<Integer> marks, Timeline t) {
        TreeSet<Integer> ordered = new TreeSet<>((a, b) -> {
            Timeline.Mark x = t.marks().get(a);
            Timeline.Mark y = t.marks().get(b);
            return x.column() != y.column() ? Integer.compare(x.column(), y.column()) : Integer.compare(x.slot(), y.slot());
        });
        marks.stream().filter(m -> m >= 0).forEach(ordered::add);
        if (ordered.size() < 2) {
            return false;
        }
        long id = nextId++;
        int i = 0;
        for (int m : ordered) {
            String phase = i == 0 ? "s" : i == ordered.size() - 1 ? "f" : "t";
            byMark.computeIfAbsent(m, k -> new ArrayList<>()).add(new Point(id, cat, name, phase));
            i++;
        }
        return true;
    }
}
