package kvmsim.actors.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvmsim.domain.history.Timeline;

/**
 * A {@link Timeline} in the Chrome Trace Event format (JSON), for Perfetto and chrome://tracing.
 * Process 1 has a track per trace thread with a slice per step; process 2 a track per entity with
 * a slice per step that touched it and, nested in it, a slice per event. Flows link a broadcast's
 * request to each acknowledgement and to the completion, and a violation's chain.
 *
 * <p>A run has no wall clock, so the time is synthetic: step i (in trace order) spans
 * [i * {@value #STEP_US} µs, (i + 1) * {@value #STEP_US} µs); the n events of a step share it in n
 * equal parts in journal order, each event's slice in the middle 80 % of its part, and flow points
 * sit in the middle of their event's slice: strictly inside, so each binds to it.
 *
 * <p>Events are written step by step, sorted by time within the step, so each track's times only
 * grow, and a whole run is never held as JSON in memory.
 */
public final class TraceEventJson {

    static final int STEP_US = 1000;
    static final int STEPS_PID = 1;
    static final int ENTITIES_PID = 2;

    private final Timeline t;
    private final TraceFlows flows;
    private final Map<String, Integer> threadTid = new LinkedHashMap<>();

    /** How many of each thing were written: what `report --json` prints. */
    public record Counts(int events, int stepSlices, int broadcastFlows, int violationFlows) {
    }

    private TraceEventJson(Timeline t) {
        this.t = t;
        this.flows = new TraceFlows(t);
        for (Timeline.Column c : t.columns()) {
            threadTid.computeIfAbsent(threadName(c), k -> threadTid.size() + 1);
        }
    }

    public static Counts write(Timeline t, OutputStream out) throws IOException {
        return new TraceEventJson(t).write(out);
    }

    private Counts write(OutputStream out) throws IOException {
        boolean anyThread = t.columns().stream().anyMatch(c -> c.thread() != null);
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("displayTimeUnit", "ms");
            g.writeObjectFieldStart("otherData");
            g.writeStringField("run", t.run());
            g.writeStringField("trace", t.trace());
            g.writeStringField("clock", "synthetic: " + STEP_US + " us per step in trace order, a step's events "
                    + "spread inside it in journal order; not wall-clock time");
            g.writeEndObject();
            g.writeArrayFieldStart("traceEvents");
            int n = metadata(g, anyThread);
            List<List<Integer>> marksOf = marksByColumn();
            for (int c = 0; c < t.columns().size(); c++) {
                n += column(g, c, marksOf.get(c));
            }
            g.writeEndArray();
            g.writeEndObject();
            return new Counts(n, t.columns().size(), flows.broadcastFlows(), flows.violationFlows());
        }
    }

    private int metadata(JsonGenerator g, boolean anyThread) throws IOException {
        int n = 0;
        n += meta(g, "process_name", STEPS_PID, null, "name", "trace " + t.trace() + " (steps"
                + (anyThread ? " by thread)" : ")"));
        n += meta(g, "process_sort_index", STEPS_PID, null, "sort_index", 0);
        n += meta(g, "process_name", ENTITIES_PID, null, "name", "run " + t.run() + " (entities)");
        n += meta(g, "process_sort_index", ENTITIES_PID, null, "sort_index", 1);
        for (Map.Entry<String, Integer> e : threadTid.entrySet()) {
            n += meta(g, "thread_name", STEPS_PID, e.getValue(), "name", e.getKey());
            n += meta(g, "thread_sort_index", STEPS_PID, e.getValue(), "sort_index", e.getValue());
        }
        for (int lane = 0; lane < t.lanes().size(); lane++) {
            n += meta(g, "thread_name", ENTITIES_PID, lane + 1, "name", t.lanes().get(lane));
            n += meta(g, "thread_sort_index", ENTITIES_PID, lane + 1, "sort_index", lane + 1);
        }
        return n;
    }

    private static int meta(JsonGenerator g, String name, int pid, Integer tid, String key, Object value)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("ph", "M");
        g.writeStringField("name", name);
        g.writeNumberField("pid", pid);
        if (tid != null) {
            g.writeNumberField("tid", tid);
        }
        g.writeNumberField("ts", 0);
        g.writeObjectFieldStart("args");
        if (value instanceof Integer i) {
            g.writeNumberField(key, i);
        } else {
            g.writeStringField(key, String.valueOf(value));
        }
        g.writeEndObject();
        g.writeEndObject();
        return 1;
    }

    private List<List<Integer>> marksByColumn() {
        List<List<Integer>> out = new ArrayList<>();
        t.columns().forEach(c -> out.add(new ArrayList<>()));
        t.marks().forEach(m -> out.get(m.column()).add(m.id()));
        return out;
    }

    /** One step: its slice on its thread, then per entity it touched a slice with its events nested. */
    private int column(JsonGenerator g, int c, List<Integer> marks) throws IOException {
        Timeline.Column col = t.columns().get(c);
        double t0 = (double) c * STEP_US;
        List<TraceEvent> out = new ArrayList<>();
        Map<Integer, List<Timeline.Mark>> byLane = new TreeMap<>();
        for (int id : marks) {
            Timeline.Mark m = t.marks().get(id);
            byLane.computeIfAbsent(m.lane(), k -> new ArrayList<>()).add(m);
        }
        String name = col.op().isEmpty() ? "line " + col.line() : col.op();
        out.add(TraceEvent.slice(name, "step", STEPS_PID, threadTid.get(threadName(col)), t0, STEP_US,
                stepArgs(col, marks)));
        double part = (double) STEP_US / Math.max(1, col.events());
        for (Map.Entry<Integer, List<Timeline.Mark>> lane : byLane.entrySet()) {
            int tid = lane.getKey() + 1;
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("line", col.line());
            args.put("result", col.result());
            args.put("events", lane.getValue().stream().map(Timeline.Mark::text).toList());
            out.add(TraceEvent.slice(name, "step", ENTITIES_PID, tid, t0, STEP_US, args));
            for (Timeline.Mark m : lane.getValue()) {
                double ts = t0 + part * m.slot() + part * 0.1;
                double dur = part * 0.8;
                Map<String, Object> ea = new LinkedHashMap<>();
                ea.put("text", m.text());
                ea.put("seq", m.seq());
                ea.put("line", col.line());
                out.add(TraceEvent.slice(m.event(), "event", ENTITIES_PID, tid, ts, dur, ea));
                for (TraceFlows.Point p : flows.at(m.id())) {
                    out.add(TraceEvent.flow(p, ENTITIES_PID, tid, ts + dur / 2));
                }
            }
        }
        for (Timeline.Flagged v : t.violations()) {
            if (v.column() == c) {
                out.add(TraceEvent.violation(v, ENTITIES_PID, v.lane() < 0 ? null : v.lane() + 1, t0 + STEP_US / 2.0));
            }
        }
        // by time; at one time an enclosing slice before what it encloses, and a flow point after its slice
        out.sort(Comparator.comparingDouble(TraceEvent::ts).thenComparing(Comparator.comparingDouble(TraceEvent::rank)));
        for (TraceEvent e : out) {
            e.write(g);
        }
        return out.size();
    }

    private Map<String, Object> stepArgs(Timeline.Column col, List<Integer> marks) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("line", col.line());
        args.put("result", col.result());
        if (col.thread() != null) {
            args.put("thread", col.thread());
        }
        if (!col.mismatches().isEmpty()) {
            args.put("mismatches", col.mismatches());
        }
        if (!col.violations().isEmpty()) {
            args.put("violations", col.violations());
        }
        args.put("events", marks.stream().map(id -> {
            Timeline.Mark m = t.marks().get(id);
            return t.lanes().get(m.lane()) + "  " + m.text();
        }).toList());
        return args;
    }

    private static String threadName(Timeline.Column c) {
        return c.thread() == null ? "steps" : "thread " + c.thread();
    }
}
