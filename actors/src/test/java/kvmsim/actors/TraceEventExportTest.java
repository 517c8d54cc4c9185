package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.actors.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code report --trace-event}: the JSON follows the rules Perfetto's importer and chrome://tracing
 * go by (required fields per phase, dur on X, nesting and growing times per track, flows whose
 * s/t/f share id, cat and name, each point inside a slice of its own track, a name for every track),
 * and holds what the run holds: a step slice per step, an event slice per event, a flow per
 * broadcast receiver and per violation chain, on the synthetic clock of 1000 us per step.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TraceEventExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dir;
    private String journal;

    @BeforeAll
    void replay() throws Exception {
        dir = Files.createTempDirectory("kvmsim-trace-event");
        journal = "h2:" + dir.resolve("journal");
        assertEquals(0, kvmsim("replay", "-q", "--journal", journal, "--run", "te", HistoryCommandsTest.FLUSH,
                "examples/x86/seed-004-if-modified-stale-tlb.trace").status());
        assertEquals(0, kvmsim("replay", "-q", "--journal", journal, "--run", "teq", ReportBrowserTest.QEMU).status());
    }

    /** What the export is checked against: the report's own data (the HTML page's JSON) and its --json summary. */
    private record Export(JsonNode trace, JsonNode data, JsonNode summary) {
    }

    private Export export(String run, String... window) throws Exception {
        Path html = dir.resolve(run + ".html");
        Path json = dir.resolve(run + ".json");
        List<String> args = new ArrayList<>(List.of("report", "--json", "--journal", journal, "--run", run, "--html",
                html.toString(), "--trace-event", json.toString()));
        args.addAll(List.of(window));
        Cli.Result r = kvmsim(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        return new Export(JSON.readTree(json.toFile()), ReportBrowserTest.data(Files.readString(html)),
                Cli.jsonLines(r.out()).get(0));
    }

    @Test
    void broadcastsBecomeOneFlowPerReceiverFromRequestThroughAckToCompletion() throws Exception {
        Export e = export("te-1");
        Checked c = check(e.trace());
        assertCounts(e, c);
        assertEquals(6, c.flows("broadcast").size(), "3 shootdowns to 2 vCPUs");
        for (List<JsonNode> flow : c.flows("broadcast")) {
            assertEquals(List.of("s", "t", "f"), flow.stream().map(n -> n.get("ph").asText()).toList());
            JsonNode s = flow.get(0);
            JsonNode t = flow.get(1);
            JsonNode f = flow.get(2);
            assertEquals(s.get("tid"), f.get("tid"), "request and completion on the VM's track");
            assertEquals("vm/vm0", c.threadName(s));
            assertTrue(c.threadName(t).startsWith("vcpu/vm0/"), "the ack on a vCPU's track: " + t);
            assertEquals("RemoteTlbFlushRequested", c.enclosing(s).get("name").asText());
            assertEquals("TlbFlushed", c.enclosing(t).get("name").asText());
            assertEquals("RemoteTlbFlushCompleted", c.enclosing(f).get("name").asText());
            assertTrue(s.get("ts").asDouble() < t.get("ts").asDouble() && t.get("ts").asDouble() < f.get("ts").asDouble(),
                    "in the protocol's order: " + flow);
        }
    }

    @Test
    void violationsBecomeAFlowAlongTheirChainAndAnInstant() throws Exception {
        Export e = export("te-2");
        Checked c = check(e.trace());
        assertCounts(e, c);
        assertEquals(2, c.flows("violation").size());
        assertEquals(Set.of("stale-writable-tlb", "dirty-log-completeness"),
                new HashSet<>(c.flows("violation").stream().map(f -> f.get(0).get("name").asText()).toList()));
        for (List<JsonNode> flow : c.flows("violation")) {
            assertTrue(flow.size() >= 3, "a chain of at least three links: " + flow);
        }
    }

    @Test
    void theQemuRecordingHasATrackPerThreadAndPerEntity() throws Exception {
        Export e = export("teq");
        Checked c = check(e.trace());
        assertCounts(e, c);
        Set<String> threads = new HashSet<>(c.threadNames(1));
        assertTrue(threads.containsAll(Set.of("thread 10497", "thread 10505")), "the strace's threads: " + threads);
        assertEquals(lanes(e.data()), c.threadNames(2), "an entity track per lane, in lane order");
        assertEquals(5, c.flows("broadcast").size());
    }

    @Test
    void aWindowExportsItsStepsOnly() throws Exception {
        Export e = export("teq", "--from", "3320", "--to", "3340");
        Checked c = check(e.trace());
        assertCounts(e, c);
        assertTrue(e.summary().get("steps").asInt() < 30, e.summary().toString());
        assertEquals(5, c.flows("broadcast").size(), "the five shootdowns are in lines 3325-3335");
    }

    @Test
    void reportNeedsAnOutputAndADirectoryForIt() {
        Cli.Result none = kvmsim("report", "--journal", journal, "--run", "te-1");
        assertEquals(2, none.status());
        assertEquals("give --html FILE, --trace-event FILE or both\n", none.err());
        Cli.Result nowhere = kvmsim("report", "--journal", journal, "--run", "te-1", "--trace-event",
                dir.resolve("no/such/dir/t.json").toString());
        assertEquals(2, nowhere.status());
        assertTrue(nowhere.err().startsWith("--trace-event "), nowhere.err());
        Cli.Result alone = kvmsim("report", "--journal", journal, "--run", "te-1", "--trace-event",
                dir.resolve("alone.json").toString());
        assertEquals(0, alone.status(), alone.err());
        assertEquals("wrote " + dir.resolve("alone.json") + ": run te-1, 5 lanes, 21 steps, 43 events, 3 broadcasts, "
                + "0 violations\n", alone.out());
    }

    /** The run's numbers, as the report's data has them, against what the export holds. */
    private static void assertCounts(Export e, Checked c) {
        JsonNode data = e.data();
        int steps = data.get("columns").size();
        assertEquals(e.summary().get("steps").asInt(), steps);
        assertEquals(steps, c.slices(1, "step").size(), "a step slice per step");
        assertEquals(data.get("marks").size(), c.slices(2, "event").size(), "an event slice per event");
        Map<Integer, Set<Integer>> touched = new HashMap<>();
        data.get("marks").forEach(m -> touched.computeIfAbsent(m.get("column").asInt(), k -> new HashSet<>())
                .add(m.get("lane").asInt()));
        assertEquals(touched.values().stream().mapToInt(Set::size).sum(), c.slices(2, "step").size(),
                "a step slice on each entity the step touched");
        int receivers = 0;
        for (JsonNode b : data.get("broadcasts")) {
            receivers += b.get("toLanes").size();
        }
        assertEquals(receivers, c.flows("broadcast").size(), "a flow per broadcast receiver");
        int chains = 0;
        for (JsonNode v : data.get("violations")) {
            int marks = 0;
            for (JsonNode m : v.get("chainMarks")) {
                marks += m.asInt() >= 0 ? 1 : 0;
            }
            chains += marks >= 2 ? 1 : 0;
        }
        assertEquals(chains, c.flows("violation").size(), "a flow per violation chain");
        assertEquals(data.get("violations").size(), c.instants.size(), "an instant per violation");
        // the synthetic clock: step i spans [i ms, i+1 ms) in trace order
        List<JsonNode> stepSlices = c.slices(1, "step");
        for (int i = 0; i < stepSlices.size(); i++) {
            JsonNode s = stepSlices.get(i);
            assertEquals(i * 1000.0, s.get("ts").asDouble(), 1e-9);
            assertEquals(1000.0, s.get("dur").asDouble(), 1e-9);
            assertEquals(data.get("columns").get(i).get("line").asInt(), s.get("args").get("line").asInt());
        }
    }

    private static List<String> lanes(JsonNode data) {
        List<String> out = new ArrayList<>();
        data.get("lanes").forEach(l -> out.add(l.asText()));
        return out;
    }

    /** The checked trace: its slices, flows, instants and track names. */
    private static final class Checked {
        final List<JsonNode> xs = new ArrayList<>();
        final List<JsonNode> instants = new ArrayList<>();
        final Map<Long, List<JsonNode>> flows = new LinkedHashMap<>();
        final Map<String, String> threadNames = new LinkedHashMap<>();
        final Map<String, List<JsonNode>> slicesByTrack = new HashMap<>();

        List<JsonNode> slices(int pid, String cat) {
            return xs.stream().filter(x -> x.get("pid").asInt() == pid && x.get("cat").asText().equals(cat)).toList();
        }

        List<List<JsonNode>> flows(String cat) {
            return flows.values().stream().filter(f -> f.get(0).get("cat").asText().equals(cat)).toList();
        }

        String threadName(JsonNode e) {
            return threadNames.get(track(e));
        }

        List<String> threadNames(int pid) {
            return threadNames.entrySet().stream().filter(t -> t.getKey().startsWith(pid + "/")).map(Map.Entry::getValue)
                    .toList();
        }

        /** The innermost slice of the event's track that strictly contains its time. */
        JsonNode enclosing(JsonNode e) {
            double ts = e.get("ts").asDouble();
            JsonNode best = null;
            for (JsonNode x : slicesByTrack.getOrDefault(track(e), List.of())) {
                double start = x.get("ts").asDouble();
                double end = start + x.get("dur").asDouble();
                if (start < ts && ts < end && (best == null || x.get("dur").asDouble() < best.get("dur").asDouble())) {
                    best = x;
                }
            }
            return best;
        }
    }

    private static String track(JsonNode e) {
        return e.get("pid").asInt() + "/" + (e.has("tid") ? e.get("tid").asInt() : "-");
    }

    /** Checks every event against the format's rules; returns what it found. */
    private static Checked check(JsonNode root) {
        assertTrue(root.get("traceEvents").isArray(), "a traceEvents array");
        Checked c = new Checked();
        Map<Integer, String> processNames = new HashMap<>();
        Map<String, Integer> sortIndex = new HashMap<>();
        Map<String, Double> lastTs = new HashMap<>();
        Map<String, Deque<double[]>> open = new HashMap<>();
        Set<String> tracksUsed = new HashSet<>();
        Map<Long, String> flowKey = new HashMap<>();
        for (JsonNode e : root.get("traceEvents")) {
            String ph = text(e, "ph");
            assertTrue(!text(e, "name").isEmpty(), "a name: " + e);
            assertTrue(e.get("pid").isInt(), "an integer pid: " + e);
            if (ph.equals("M")) {
                JsonNode args = e.get("args");
                switch (text(e, "name")) {
                    case "process_name" -> processNames.put(e.get("pid").asInt(), args.get("name").asText());
                    case "thread_name" -> c.threadNames.put(track(e), args.get("name").asText());
                    case "process_sort_index" -> assertTrue(args.get("sort_index").isInt(), e.toString());
                    case "thread_sort_index" -> {
                        assertTrue(args.get("sort_index").isInt(), e.toString());
                        sortIndex.put(track(e), args.get("sort_index").asInt());
                    }
                    default -> throw new AssertionError("unknown metadata " + e);
                }
                if (text(e, "name").startsWith("thread_")) {
                    assertTrue(e.get("tid").isInt(), "thread metadata names a tid: " + e);
                }
                continue;
            }
            assertTrue(e.get("ts").isNumber() && e.get("ts").asDouble() >= 0, "a time: " + e);
            assertTrue(!text(e, "cat").isEmpty(), "a category: " + e);
            boolean processScoped = ph.equals("i") && text(e, "s").equals("p");
            if (!processScoped) {
                assertTrue(e.get("tid").isInt(), "an integer tid: " + e);
                String track = track(e);
                tracksUsed.add(track);
                double ts = e.get("ts").asDouble();
                assertTrue(ts >= lastTs.getOrDefault(track, 0.0), "times only grow on a track: " + e);
                lastTs.put(track, ts);
            }
            switch (ph) {
                case "X" -> {
                    assertTrue(e.has("dur") && e.get("dur").isNumber() && e.get("dur").asDouble() > 0, "X has a duration: " + e);
                    nests(open.computeIfAbsent(track(e), k -> new ArrayDeque<>()), e);
                    c.xs.add(e);
                    c.slicesByTrack.computeIfAbsent(track(e), k -> new ArrayList<>()).add(e);
                }
                case "i" -> {
                    assertTrue(Set.of("t", "p", "g").contains(text(e, "s")), "an instant's scope: " + e);
                    c.instants.add(e);
                }
                case "s", "t", "f" -> {
                    assertTrue(e.get("id").isIntegralNumber(), "a flow id: " + e);
                    long id = e.get("id").asLong();
                    String key = text(e, "cat") + "/" + text(e, "name");
                    assertEquals(flowKey.computeIfAbsent(id, k -> key), key, "one id, one flow (cat and name): " + e);
                    assertEquals(ph.equals("f") ? "e" : "", text(e, "bp"), "f binds to its enclosing slice: " + e);
                    List<JsonNode> flow = c.flows.computeIfAbsent(id, k -> new ArrayList<>());
                    assertEquals(flow.isEmpty(), ph.equals("s"), "a flow starts with its only s: " + e);
                    assertTrue(flow.isEmpty() || !text(flow.get(flow.size() - 1), "ph").equals("f"), "nothing after f: " + e);
                    flow.add(e);
                    JsonNode slice = c.enclosing(e);
                    assertNotNull(slice, "a slice of its own track strictly contains each flow point: " + e);
                    assertEquals("event", text(slice, "cat"), "the innermost is the event's slice: " + e);
                }
                default -> throw new AssertionError("unexpected phase " + e);
            }
        }
        for (List<JsonNode> flow : c.flows.values()) {
            assertEquals("f", text(flow.get(flow.size() - 1), "ph"), "every flow ends: " + flow);
            for (int i = 1; i < flow.size(); i++) {
                assertTrue(flow.get(i).get("ts").asDouble() > flow.get(i - 1).get("ts").asDouble(), "in time order: " + flow);
            }
        }
        for (String track : tracksUsed) {
            assertTrue(c.threadNames.containsKey(track), "a thread_name for " + track);
            assertTrue(sortIndex.containsKey(track), "a thread_sort_index for " + track);
            assertTrue(processNames.containsKey(Integer.parseInt(track.split("/")[0])), "a process_name for " + track);
        }
        assertEquals(sortIndex.size(), new HashSet<>(sortIndex.entrySet().stream()
                .map(s -> s.getKey().split("/")[0] + "/" + s.getValue()).toList()).size(), "distinct sort indexes");
        return c;
    }

    /** Slices on one track nest: each begins after the enclosing one and ends before it ends. */
    private static void nests(Deque<double[]> open, JsonNode e) {
        double start = e.get("ts").asDouble();
        double end = start + e.get("dur").asDouble();
        while (!open.isEmpty() && open.peek()[1] <= start) {
            open.pop();
        }
        assertTrue(open.isEmpty() || end <= open.peek()[1] + 1e-9, "slices on a track nest, none overlaps: " + e);
        open.push(new double[] {start, end});
    }

    private static String text(JsonNode e, String field) {
        return e.has(field) ? e.get(field).asText() : "";
    }
}
