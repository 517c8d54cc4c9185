package kvmsim.bench;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kvmsim.actors.cli.Main;
import kvmsim.actors.testing.Cli;
import kvmsim.actors.testing.Cli.Result;
import org.junit.jupiter.api.Test;

/** The benchmark commands join kvmsim's CLI when this module is on the class path, with help and completion. */
class BenchCommandsTest {

    @Test
    void theBenchCommandsAreFoundAndHaveHelp() {
        List<String> names = List.copyOf(Main.commandLine().getSubcommands().keySet());
        for (String bench : List.of("bench", "bench-shootdown", "bench-audit", "bench-import", "bench-scale",
                "bench-recovery", "bench-startup")) {
            assertTrue(names.contains(bench), bench + " in " + names);
            Result r = kvmsim(bench, "--help");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().startsWith("Usage: kvmsim " + bench), r.out());
        }
        assertTrue(kvmsim("generate-completion").out().contains("bench-audit"), "completion covers them too");
    }

    /**
     * bench --json ends with one summary per trace holding the figures the README quotes, each a
     * rate that was measured (positive), and the actors' events are the trace's.
     */
    @Test
    void benchPrintsOneSummaryPerTraceWithTheRatesItMeasured() throws Exception {
        Result r = kvmsim("bench", "--steps", "60", "--vms", "4", "--rounds", "1", "--warmup", "0", "--json");
        assertEquals(0, r.status(), r.err());
        List<com.fasterxml.jackson.databind.JsonNode> summaries = Cli.jsonLines(r.out()).stream()
                .filter(j -> j.path("type").asText().equals("summary")).toList();
        assertEquals(List.of("one-vm", "fleet"), summaries.stream().map(j -> j.path("trace").asText()).toList());
        for (var s : summaries) {
            for (String rate : List.of("reference_steps_per_s", "actor_steps_per_s", "actor_events_per_s",
                    "bare_sequential_events_per_s", "bare_pipelined_events_per_s")) {
                assertTrue(s.path(rate).asDouble() > 0, rate + " in " + s);
            }
            assertTrue(s.path("events").asLong() > 0, s.toString());
            assertEquals(s.path("actor_events_per_s").asDouble() / s.path("bare_pipelined_events_per_s").asDouble(),
                    s.path("actor_vs_bare_pipelined").asDouble(), 1e-9);
        }
        assertTrue(r.out().trim().endsWith("}"), "the last line is the fleet's summary");
    }

    /**
     * bench-startup runs the three programs as processes and ends with a summary whose ratios are
     * those of its medians; the bare program persists the events the trace's replay does.
     */
    @Test
    void benchStartupTimesTheThreeProcessesAndComparesThem() throws Exception {
        Result r = kvmsim("bench-startup", "--rounds", "1", "--warmup", "0", "--json");
        assertEquals(0, r.status(), r.err() + r.out());
        com.fasterxml.jackson.databind.JsonNode s = Cli.jsonLines(r.out().lines().reduce((x, y) -> y).orElseThrow())
                .get(0);
        assertEquals("summary", s.path("type").asText(), r.out());
        double actors = s.path("actors_s").asDouble();
        double reference = s.path("reference_s").asDouble();
        double bare = s.path("bare_s").asDouble();
        assertTrue(actors > 0 && reference > 0 && bare > 0, s.toString());
        assertEquals(actors / reference, s.path("actors_over_reference").asDouble(), 1e-9);
        assertEquals(bare / reference, s.path("bare_over_reference").asDouble(), 1e-9);
        assertEquals(actors / bare, s.path("actors_over_bare").asDouble(), 1e-9);
        assertEquals(25, s.path("events").asInt(), "the events the 20-step example persists: " + s);
        assertTrue(r.out().contains("bare Pekko: same system and H2, 25 events, one at a time"), r.out());
        assertEquals(2, kvmsim("bench-startup", "--trace", "no-such.trace").status());
    }

    /**
     * bench-scale --json ends with one summary per size, each a measured rate and heap figure, its
     * ratio the rate over the first size's, its events those of one write per page.
     */
    @Test
    void benchScalePrintsOneSummaryPerSizeWithRatiosToTheFirst() throws Exception {
        Result r = kvmsim("bench-scale", "--pages", "100,400", "--rounds", "1", "--warmup", "0", "--json");
        assertEquals(0, r.status(), r.err());
        List<com.fasterxml.jackson.databind.JsonNode> summaries = Cli.jsonLines(r.out()).stream()
                .filter(j -> j.path("type").asText().equals("summary")).toList();
        assertEquals(List.of(100, 400), summaries.stream().map(j -> j.path("pages").asInt()).toList());
        double base = summaries.get(0).path("steps_per_s").asDouble();
        for (var s : summaries) {
            assertTrue(s.path("steps_per_s").asDouble() > 0, s.toString());
            assertTrue(s.path("heap_bytes_per_page").isNumber(), s.toString());
            assertEquals(s.path("steps_per_s").asDouble() / base, s.path("ratio_to_first").asDouble(), 1e-9);
            assertEquals(4L * s.path("pages").asLong() + 8, s.path("events").asLong(), "x86: 4 events a write");
        }
        assertEquals(2, kvmsim("bench-scale", "--pages", "0").status(), "a size below 1 is bad input");
    }

    /** bench-recovery writes the slot's journal and recovers it (the state it checks equals the reference engine's). */
    @Test
    void benchRecoveryRecoversTheSlotItWrote() {
        Result r = kvmsim("bench-recovery", "--events", "300", "--after-snapshot", "50", "--rounds", "1", "--warmup", "0");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("300 events of slot/vm0/0 written") && r.out().contains("snapshot at event 250"),
                r.out());
        assertTrue(r.out().contains("median recovery of 300 events (snapshot + 50 events)"), r.out());
        assertEquals(2, kvmsim("bench-recovery", "--events", "10", "--after-snapshot", "10").status());
    }

    /** A benchmark's journal goes to a temporary folder that is gone when kvmsim exits. */
    @Test
    void aBenchmarkLeavesNothingInTheTemporaryFolder() throws Exception {
        Path tmp = Files.createTempDirectory("kvmsim-bench-tmpdir");
        Process p = new ProcessBuilder(Cli.javaCommand(List.of("-Djava.io.tmpdir=" + tmp), "bench-shootdown",
                "--vcpus", "2", "--rounds", "1", "--warmup", "0")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        // the row: actors p50 and p99, persist p50, ratio, bare p50 and p99, actors over bare, reference, events
        String[] row = out.lines().filter(l -> l.startsWith("     2  ")).findFirst().orElseThrow(() -> new AssertionError(
                "it measured: " + out)).replace("ms", "").replace("x", "").trim().split("\\s+");
        assertEquals(10, row.length, out);
        double actors = Double.parseDouble(row[1]);
        double bare = Double.parseDouble(row[5]);
        assertTrue(actors > 0 && bare > 0, out);
        assertEquals(actors / bare, Double.parseDouble(row[7]), 0.01 + 0.01 * actors / bare, out);
        assertEquals("4", row[9], "one flush of two vCPUs persists four events: " + out);
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.map(Path::getFileName).map(Path::toString)
                    .filter(n -> n.startsWith("kvmsim-bench")).toList());
        }
    }
}
