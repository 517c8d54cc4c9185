package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import kvmsim.actors.cli.Main;
import kvmsim.actors.testing.Cli;
import kvmsim.actors.testing.Cli.Result;
import kvmsim.journal.testing.JsonShape;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command that takes --json, on runs with violations, chains, broadcasts and two policies:
 * each line is a JSON object with a "type", snake_case keys, events and states as objects, and no
 * Java toString() anywhere (docs/json-output.md).
 */
class JsonOutputTest {

    /** The line types docs/json-output.md describes. */
    static final Set<String> TYPES = Set.of("step", "violation", "summary", "run", "unreadable_run", "event", "audit",
            "journal_finding", "state", "change", "divergence", "diff", "report", "counterexample", "explore_summary");

    static final String LEAK = "examples/arm64/seed-000-on-lock-leak.trace";
    static final String STALE = "examples/x86/seed-004-if-modified-stale-tlb.trace";

    @Test
    void everyCommandsJsonIsObjectsWithSnakeCaseKeys() throws Exception {
        String journal = "h2:" + Files.createTempDirectory("kvmsim-json");
        Set<String> covered = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        List<JsonNode> replay = lines(covered, problems, 0, "replay", "--json", "--journal", journal, "--run", "j-a",
                "--policy", "sanitise-tags=on-lock", LEAK, STALE);
        assertTrue(replay.stream().anyMatch(n -> n.get("type").asText().equals("violation")
                && n.get("chain").get(0).get("event").get("event").isTextual()), replay.toString());
        lines(covered, problems, 1, "replay", "--json", "--journal", journal, "--run", "j-b", "--policy",
                "sanitise-tags=mte-only", LEAK);
        lines(covered, problems, 0, "replay", "--json", "--engine", "reference", LEAK);
        // a step's return as the syscall gives it: a count, -1 on error; HOST_MEM_ABORT's outcome as its result
        List<JsonNode> rings = lines(covered, problems, 0, "replay", "--json", "--engine", "reference",
                "examples/x86/dirty-ring-walk.trace");
        assertEquals(List.of("30:-1", "41:3", "244:2", "251:192", "256:2"), rings.stream()
                .filter(n -> n.path("op").asText().equals("KVM_RESET_DIRTY_RINGS"))
                .map(n -> n.get("line").asInt() + ":" + n.get("ret").asLong()).toList(), rings.toString());
        List<JsonNode> aborts = lines(covered, problems, 0, "replay", "--json", "--engine", "reference",
                "examples/arm64/pkvm-donation-splits-block.trace");
        assertTrue(aborts.stream().anyMatch(n -> n.path("op").asText().equals("HOST_MEM_ABORT") && n.get("line").asInt() == 9
                && n.get("result").asText().equals("mapped") && n.get("ret").asLong() == 0), aborts.toString());
        lines(covered, problems, 0, "runs", "--json", "--journal", journal);
        List<JsonNode> history = lines(covered, problems, 0, "history", "--json", "--journal", journal, "--run",
                "j-a-2");
        assertTrue(history.stream().allMatch(n -> n.get("event").get("event").isTextual()), history.toString());
        lines(covered, problems, 0, "audit", "--json", "--journal", journal, "--run", "j-a-1");
        lines(covered, problems, 0, "audit", "--json", "--journal", journal, "--run", "j-a-2");
        List<JsonNode> states = lines(covered, problems, 0, "state", "--json", "--journal", journal, "--run", "j-a-2",
                "--at", "1000");
        assertEquals(Set.of("HostState", "MemslotState", "VcpuState", "VmState"), new TreeSet<>(states.stream()
                .map(n -> n.get("state").get("state").asText()).toList()));
        lines(covered, problems, 0, "state", "--json", "--journal", journal, "--run", "j-a-1", "--diff", "9", "16");
        List<JsonNode> diff = lines(covered, problems, 1, "diff", "--json", "--journal", journal, "j-a-1", "j-b");
        assertTrue(diff.stream().anyMatch(n -> n.path("events_a").size() > 0
                && n.get("events_a").get(0).get("event").get("event").isTextual()), diff.toString());
        assertTrue(diff.stream().anyMatch(n -> n.path("state").size() > 0
                && n.get("state").get(0).get("field").asText().equals("pending_ops")), diff.toString());
        Path reports = Files.createTempDirectory("kvmsim-json-report");
        JsonNode report = lines(covered, problems, 0, "report", "--json", "--journal", journal, "--run", "j-a-2",
                "--html", reports.resolve("r.html").toString(), "--trace-event", reports.resolve("r.json").toString())
                .get(0);
        assertEquals(reports.resolve("r.json").toString(), report.get("trace_event").asText());
        assertTrue(report.get("trace_events").asInt() > report.get("events").asInt(), report.toString());
        List<JsonNode> explore = lines(covered, problems, 1, "explore", "--json",
                "examples/explore/seed-004-write-vs-enable-logging.trace");
        assertTrue(explore.get(0).get("chain").get(0).get("event").get("event").isTextual(), explore.toString());
        assertEquals(List.of(), problems);
        assertEquals(commandsWithJson(), covered, "a command that takes --json without a test of its output");
    }

    // runs one command, checks its exit status, and parses and checks each line of its output
    private static List<JsonNode> lines(Set<String> covered, List<String> problems, int status, String... args)
            throws Exception {
        Result r = kvmsim(args);
        assertEquals(status, r.status(), String.join(" ", args) + "\n" + r.out() + r.err());
        covered.add(args[0]);
        List<JsonNode> nodes = Cli.jsonLines(r.out());
        assertFalse(nodes.isEmpty(), String.join(" ", args));
        for (JsonNode n : nodes) {
            assertTrue(n.isObject() && TYPES.contains(n.path("type").asText()), args[0] + ": " + n);
            problems.addAll(JsonShape.problems(args[0], n));
        }
        return nodes;
    }

    private static Set<String> commandsWithJson() {
        Set<String> out = new TreeSet<>();
        for (CommandLine c : Main.commandLine().getSubcommands().values()) {
            if (c.getCommandSpec().findOption("--json") != null) {
                out.add(c.getCommandName());
            }
        }
        return out;
    }
}
