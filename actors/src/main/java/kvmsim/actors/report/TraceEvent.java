package kvmsim.actors.report;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import kvmsim.domain.history.Timeline;

/**
 * One event of a trace-event export, kept only while its step is written. {@code rank} orders
 * events of equal time: a longer slice first (it encloses the shorter), flow points and instants
 * last (they bind to the slice open at their time, which must already be there).
 */
record TraceEvent(String ph, String name, String cat, int pid, Integer tid, double ts, double dur, double rank,
        Map<String, Object> args, TraceFlows.Point flow, String scope) {

    static TraceEvent slice(String name, String cat, int pid, int tid, double ts, double dur, Map<String, Object> args) {
        return new TraceEvent("X", name, cat, pid, tid, ts, dur, -dur, args, null, null);
    }

    static TraceEvent flow(TraceFlows.Point p, int pid, int tid, double ts) {
        return new TraceEvent(p.phase(), p.name(), p.cat(), pid, tid, ts, 0, 1, null, p, null);
    }

    /** An instant on the violating entity's track, or on the entities' process when it has no lane. */
    static TraceEvent violation(Timeline.Flagged v, int pid, Integer tid, double ts) {
        Map<String, Object> args = new java.util.LinkedHashMap<>();
        args.put("entity", v.entity());
        args.put("line", v.line());
        args.put("chain", v.chain());
        return new TraceEvent("i", "violation: " + v.invariant(), "violation", pid, tid, ts, 0, 2, args, null,
                tid == null ? "p" : "t");
    }

    void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("ph", ph);
        g.writeStringField("name", name);
        g.writeStringField("cat", cat);
        g.writeNumberField("pid", pid);
        if (tid != null) {
            g.writeNumberField("tid", tid);
        }
        g.writeNumberField("ts", micros(ts));
        if (ph.equals("X")) {
            g.writeNumberField("dur", micros(dur));
        }
        if (flow != null) {
            g.writeNumberField("id", flow.id());
            if (ph.equals("f")) {
                g.writeStringField("bp", "e"); // bind to the enclosing slice, not the next one to begin
            }
        }
        if (scope != null) {
            g.writeStringField("s", scope);
        }
        if (args != null) {
            g.writeFieldName("args");
            value(g, args);
        }
        g.writeEndObject();
    }

    // nanosecond precision is plenty: the smallest part of a step is far larger
    private static double micros(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static void value(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Number n) {
            g.writeNumber(n.longValue());
        } else if (v instanceof List<?> list) {
            g.writeStartArray();
            for (Object o : list) {
                value(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                value(g, e.getValue());
            }
            g.writeEndObject();
        } else {
            g.writeString(String.valueOf(v));
        }
    }
}
