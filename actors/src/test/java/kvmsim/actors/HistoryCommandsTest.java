package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.RunLog;
import kvmsim.actors.history.RunLogWriter;
import kvmsim.actors.testing.Cli;
import kvmsim.actors.testing.Cli.Result;
import kvmsim.journal.store.JournalLocation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * runs, history, audit, state, diff and report on the journal a replay of the examples leaves, on
 * the embedded H2 journal and on the in-memory one; and their errors: an unknown run, an empty
 * journal, a run written in a newer journal format.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HistoryCommandsTest {

    static final String LEAK = "examples/arm64/seed-000-on-lock-leak.trace";
    static final String FLUSH = "examples/x86/seed-004-unconditional-flush.trace";
    static final ObjectMapper JSON = new ObjectMapper();

    private String h2;
    private Path unexpectedLeak;

    /**
     * Per journal: hc-a-1 is the leak under on-lock, hc-a-2 the flush trace; hc-b-1 the leak under
     * mte-only (the review's fix), hc-b-2 the flush trace again under that policy, which it ignores.
     */
    @BeforeAll
    void replayTheExamples() throws Exception {
        h2 = "h2:" + Files.createTempDirectory("kvmsim-history");
        // the leak trace without the CHECK that expects the leak: replay fails it, and so must audit
        unexpectedLeak = Files.createTempDirectory("kvmsim-unexpected").resolve("leak.trace");
        Files.writeString(unexpectedLeak, Files.readString(Path.of(LEAK)).replace(
                "{\"op\":\"CHECK\",\"violations\":[\"pending-op-leak\"]}\n", ""));
        for (String journal : List.of(h2, "mem")) {
            Result c = kvmsim("replay", "-q", "--journal", journal, "--run", "hc-c-1", "--policy",
                    "sanitise-tags=on-lock", unexpectedLeak.toString());
            assertEquals(1, c.status(), "an unexpected violation fails the replay: " + c.out());
            assertEquals(0, kvmsim("replay", "-q", "--journal", journal, "--run", "hc-a", "--policy",
                    "sanitise-tags=on-lock", LEAK, FLUSH).status());
            Result b = kvmsim("replay", "-q", "--journal", journal, "--run", "hc-b", "--policy",
                    "sanitise-tags=mte-only", LEAK, FLUSH);
            assertEquals(1, b.status(), "under the fix the leak trace's expectations fail: " + b.out());
        }
    }

    Stream<String> journals() {
        return Stream.of(h2, "mem");
    }

    @ParameterizedTest
    @MethodSource("journals")
    void runsListsTraceStepsEventsViolationsAndPolicies(String journal) throws Exception {
        Result text = kvmsim("runs", "--journal", journal);
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().lines().anyMatch(l -> l.startsWith("hc-a-1  ") && l.contains("  " + LEAK + "  ")
                && l.contains("sanitise-tags=on-lock") && l.contains("steps=15 events=23 violations=1 mismatches=0 exit=0")),
                text.out());
        JsonNode b1 = Cli.jsonLines(kvmsim("runs", "--json", "--journal", journal).out()).stream()
                .filter(n -> n.get("run").asText().equals("hc-b-1")).findFirst().orElseThrow();
        assertEquals("mte-only", b1.get("policies").get("sanitise-tags").asText());
        assertEquals(15, b1.get("steps").asInt());
        assertEquals(3, b1.get("mismatches").asInt());
        assertEquals(1, b1.get("exit").asInt());
        assertEquals(3, b1.get("format").asInt(), "a new run is written in journal format 3");
    }

    @ParameterizedTest
    @MethodSource("journals")
    void historyShowsOneEntitysEventsForALineRange(String journal) throws Exception {
        Result r = kvmsim("history", "--journal", journal, "--run", "hc-a-1", "--entity", "vm/", "--from", "10",
                "--to", "10", "--json");
        assertEquals(0, r.status(), r.err());
        List<JsonNode> events = Cli.jsonLines(r.out());
        assertEquals(1, events.size(), r.out());
        assertEquals("{\"event\":\"PendingOpsSet\",\"ops\":[\"FLUSH_DCACHE\",\"SANITISE_TAGS\"]}",
                events.get(0).get("event").toString());
        assertEquals("vm/vm0", events.get(0).get("entity").asText());
        assertEquals(10, events.get(0).get("line").asInt());
        Result all = kvmsim("history", "--journal", journal, "--run", "hc-a-1");
        assertTrue(all.out().endsWith("23 events of run hc-a-1\n"), all.out());
    }

    @ParameterizedTest
    @MethodSource("journals")
    void auditRecomputesTheViolationsTheReplayFound(String journal) throws Exception {
        Result leak = kvmsim("audit", "--journal", journal, "--run", "hc-a-1");
        assertEquals(0, leak.status(), "the trace expects its violation, so the audit passes as the replay did: "
                + leak.out());
        assertTrue(leak.out().contains("violation pending-op-leak at vcpu/vm0/0, " + LEAK + ":14 (expected by the trace)\n    " + LEAK
                + ":10  vm/vm0  PendingOpsSet[ops=[FLUSH_DCACHE, SANITISE_TAGS]]\n    " + LEAK
                + ":14  vcpu/vm0/0  VcpuEnteredGuest[]"), leak.out());
        assertTrue(leak.out().contains("23 events audited offline, 1 violations (0 unexpected); the same as the replay's "
                + "online check"), leak.out());
        Result unexpected = kvmsim("audit", "--journal", journal, "--run", "hc-c-1", "--json");
        assertEquals(1, unexpected.status(), "a violation the trace does not expect fails the audit: " + unexpected.out());
        List<JsonNode> lines = Cli.jsonLines(unexpected.out());
        assertEquals("pending-op-leak", lines.get(0).get("invariant").asText(), unexpected.out());
        assertFalse(lines.get(0).get("expected").asBoolean(), unexpected.out());
        assertEquals(1, lines.get(1).get("unexpected").asInt(), unexpected.out());
        assertTrue(Cli.jsonLines(kvmsim("audit", "--journal", journal, "--run", "hc-a-1", "--json").out()).get(0)
                .get("expected").asBoolean());
        Result clean = kvmsim("audit", "--journal", journal, "--run", "hc-b-1", "--json");
        assertEquals(0, clean.status(), clean.out());
        JsonNode sum = Cli.jsonLines(clean.out()).get(0);
        assertEquals("audit", sum.get("type").asText());
        assertEquals(0, sum.get("violations").asInt());
        assertTrue(sum.get("agrees").asBoolean());
    }

    @ParameterizedTest
    @MethodSource("journals")
    void stateAtAStepAndBetweenTwoSteps(String journal) throws Exception {
        Result before = kvmsim("state", "--journal", journal, "--run", "hc-a-1", "--at", "9", "--entity", "vm/vm0");
        Result after = kvmsim("state", "--journal", journal, "--run", "hc-a-1", "--at", "10", "--entity", "vm/vm0");
        assertEquals(0, after.status(), after.err());
        assertTrue(before.out().contains("\n    pendingOps = []\n"), before.out());
        assertTrue(after.out().startsWith("state of run hc-a-1 just after line 10 (KVM_ENABLE_CAP -> 0)\nvm/vm0\n"),
                after.out());
        assertTrue(after.out().contains("\n    pendingOps = [FLUSH_DCACHE, SANITISE_TAGS]\n"), after.out());
        // the first KVM_RUN drains FLUSH_DCACHE; SANITISE_TAGS, on a VM without MTE, stays: the leak
        List<JsonNode> changes = Cli.jsonLines(kvmsim("state", "--journal", journal, "--run", "hc-a-1", "--diff", "10", "14",
                "--entity", "vm/", "--json").out());
        assertTrue(changes.stream().anyMatch(c -> c.get("field").asText().equals("pending_ops")
                && c.get("before").toString().equals("[\"FLUSH_DCACHE\",\"SANITISE_TAGS\"]")
                && c.get("after").toString().equals("[\"SANITISE_TAGS\"]")), changes.toString());
    }

    @ParameterizedTest
    @MethodSource("journals")
    void diffFindsWhereTwoPoliciesPartWays(String journal) throws Exception {
        Result r = kvmsim("diff", "--journal", journal, "hc-a-1", "hc-b-1");
        assertEquals(1, r.status(), r.out());
        // under the fix (B) the trace's claims about the leak no longer hold: the diff lists them first
        assertTrue(r.out().contains("expectations that fail in one run and hold in the other (3 steps):\n"
                + "  " + LEAK + ":11  CHECK  fails in B, holds in A: pending_ops: expected [FLUSH_DCACHE, "
                + "SANITISE_TAGS], got [FLUSH_DCACHE]\n"), r.out());
        assertTrue(r.out().contains("  " + LEAK + ":16  CHECK  fails in B, holds in A: violations: expected "
                + "[pending-op-leak], got []\n"), r.out());
        assertTrue(r.out().contains("first divergence at " + LEAK + ":10  KVM_ENABLE_CAP  (events,state)\n"), r.out());
        assertTrue(r.out().contains("      vm/vm0  PendingOpsSet[ops=[FLUSH_DCACHE, SANITISE_TAGS]]\n"), r.out());
        assertTrue(r.out().contains("      vm/vm0  PendingOpsSet[ops=[FLUSH_DCACHE]]\n"), r.out());
        assertTrue(r.out().contains("pendingOps: [FLUSH_DCACHE, SANITISE_TAGS] -> [FLUSH_DCACHE]"), r.out());
        List<JsonNode> json = Cli.jsonLines(kvmsim("diff", "--json", "--journal", journal, "hc-a-1", "hc-b-1").out());
        JsonNode kvmRun = json.stream().filter(n -> n.get("line").asInt() == 14).findFirst().orElseThrow();
        assertEquals("[\"pending-op-leak\"]", kvmRun.get("a").get("violations").toString());
        assertEquals("[]", kvmRun.get("b").get("violations").toString());
        JsonNode check = json.stream().filter(n -> n.get("line").asInt() == 16).findFirst().orElseThrow();
        assertEquals("[\"expectations\"]", check.get("kinds").toString());
        assertEquals(0, check.get("fails_only_in_a").size());
        assertEquals(1, check.get("fails_only_in_b").size());
        assertEquals(3, json.get(json.size() - 1).get("expectations").asInt());
        // the flush trace ignores sanitise-tags: same answers, events and states, whatever the
        // journal's interleaving of the broadcasts' receivers
        Result same = kvmsim("diff", "--journal", journal, "hc-a-2", "hc-b-2");
        assertEquals(0, same.status(), same.out());
        assertTrue(same.out().contains("the runs agree on every step"), same.out());
    }

    @ParameterizedTest
    @MethodSource("journals")
    void reportIsOneSelfContainedFileWithTheRunsData(String journal) throws Exception {
        Path html = Files.createTempDirectory("kvmsim-report").resolve("run.html");
        Result r = kvmsim("report", "--journal", journal, "--run", "hc-a-2", "--html", html.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("wrote " + html + ": run hc-a-2, 5 lanes, 21 steps, 43 events, 3 broadcasts, 0 violations\n",
                r.out());
        String page = Files.readString(html);
        assertFalse(page.contains("src=") || page.contains("href=") || page.contains("@import") || page.contains("url("),
                "nothing fetched");
        assertFalse(page.contains("http"), "no URL anywhere in the page (it draws on a canvas, no SVG namespace)");
        JsonNode data = ReportBrowserTest.data(page);
        assertEquals(List.of("host/host0", "vm/vm0", "vcpu/vm0/0", "vcpu/vm0/1", "slot/vm0/0"),
                JSON.convertValue(data.get("lanes"), List.class));
        for (JsonNode b : data.get("broadcasts")) {
            assertEquals(1, b.get("fromLane").asInt());
            assertEquals("[2,3]", b.get("toLanes").toString(), "a shootdown reaches every vCPU");
            // each vCPU's acknowledgement, then the completion on the VM, all in the request's step
            JsonNode request = data.get("marks").get(b.get("mark").asInt());
            JsonNode completion = data.get("marks").get(b.get("completion").asInt());
            assertEquals("RemoteTlbFlushCompleted", completion.get("event").asText());
            assertEquals(1, completion.get("lane").asInt());
            for (int i = 0; i < 2; i++) {
                JsonNode ack = data.get("marks").get(b.get("acks").get(i).asInt());
                assertEquals("TlbFlushed", ack.get("event").asText());
                assertEquals(b.get("toLanes").get(i).asInt(), ack.get("lane").asInt());
                assertEquals(request.get("column"), ack.get("column"));
                assertTrue(request.get("slot").asInt() < ack.get("slot").asInt()
                        && ack.get("slot").asInt() < completion.get("slot").asInt(), "in journal order: " + b);
            }
        }
        JsonNode step = data.get("columns").get(0);
        assertEquals("main", step.get("thread").asText(), "the trace's default thread, kept with the step");
        assertEquals(data.get("marks").size(), java.util.stream.StreamSupport.stream(data.get("columns").spliterator(),
                false).mapToInt(c -> c.get("events").asInt()).sum(), "each mark counted in its step");
        // a window still knows each broadcast's receivers, and numbers marks as the journal does
        Path window = html.resolveSibling("window.html");
        assertEquals(0, kvmsim("report", "--journal", journal, "--run", "hc-a-2", "--html", window.toString(), "--from",
                "16", "--to", "16").status());
        JsonNode w = ReportBrowserTest.data(Files.readString(window));
        assertEquals(1, w.get("columns").size());
        assertEquals(1, w.get("broadcasts").size());
        assertEquals(2, w.get("broadcasts").get(0).get("toLanes").size());
        assertTrue(w.get("marks").get(0).get("seq").asInt() > 1, w.get("marks").toString());
    }

    @Test
    void anUnknownRunIsBadInput() {
        Result audit = kvmsim("audit", "--journal", h2, "--run", "nope");
        assertEquals(2, audit.status());
        assertTrue(audit.err().startsWith("--run nope: no such run in " + h2), audit.err());
        Result diff = kvmsim("diff", "--journal", h2, "hc-a-1", "nope");
        assertEquals(2, diff.status());
        assertTrue(diff.err().startsWith("RUN_B nope: no such run"), diff.err());
        for (String cmd : List.of("history", "state", "report")) {
            List<String> args = new ArrayList<>(List.of(cmd, "--journal", h2, "--run", "nope"));
            args.addAll(cmd.equals("state") ? List.of("--at", "3") : cmd.equals("report")
                    ? List.of("--html", "/tmp/kvmsim-never.html") : List.of());
            Result r = kvmsim(args.toArray(String[]::new));
            assertEquals(2, r.status(), cmd);
            assertTrue(r.err().contains("no such run"), cmd + ": " + r.err());
        }
    }

    @Test
    void anEmptyJournalHasNoRunToRead() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-empty");
        JournalLocation.parse("h2:" + dir).ensureSchema();
        String journal = "h2:" + dir;
        Result runs = kvmsim("runs", "--journal", journal);
        assertEquals(0, runs.status());
        assertEquals("0 runs in " + journal + "\n", runs.out());
        for (List<String> cmd : List.of(List.of("history"), List.of("audit"), List.of("state", "--at", "1"),
                List.of("report", "--html", dir.resolve("r.html").toString()), List.of("diff", "a", "b"))) {
            List<String> args = new ArrayList<>(cmd);
            args.addAll(List.of("--journal", journal));
            Result r = kvmsim(args.toArray(String[]::new));
            assertEquals(2, r.status(), cmd.toString());
            assertEquals(journal + ": the journal is empty: no runs (replay writes them)\n", r.err(), cmd.toString());
        }
        Result missing = kvmsim("audit", "--journal", "h2:" + dir.resolve("nothing-here"));
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("no journal there"), missing.err());
    }

    @Test
    void aRunWrittenInANewerFormatIsRefusedOrSkippedAndAnUnfinishedOneIsSaidToBe() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-newer");
        JournalLocation location = JournalLocation.parse("h2:" + dir);
        location.ensureSchema();
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            new RunLogWriter(sys, "half", "log-half").started(
                    new RunLog.RunStarted(LEAK, "actors", Map.of(), 0, 2, List.of()));
        }
        String journal = "h2:" + dir;
        Result runs = kvmsim("runs", "--journal", journal);
        assertTrue(runs.out().startsWith("half  1970-01-01T00:00:00Z  " + LEAK + "  default-policies  interrupted at step 0 "),
                runs.out());
        Result audit = kvmsim("audit", "--journal", journal);
        assertEquals(0, audit.status(), audit.out());
        assertTrue(audit.out().contains("the replay did not finish"), audit.out());

        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            RunLogWriter failed = new RunLogWriter(sys, "broken", "log-broken");
            failed.started(new RunLog.RunStarted(LEAK, "actors", Map.of(), 2, 2, List.of()));
            failed.failed("vm/vm0 did not answer for 300 s (kvmsim.retry-deadline)");
        }
        Result listed = kvmsim("runs", "--journal", journal);
        assertTrue(listed.out().contains("broken  1970-01-01T00:00:00.002Z  " + LEAK + "  default-policies  FAILED after 0 "
                + "steps: vm/vm0 did not answer for 300 s (kvmsim.retry-deadline)"), listed.out());

        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            new RunLogWriter(sys, "future", "log-future").started(
                    new RunLog.RunStarted(LEAK, "actors", Map.of(), 1, 99, List.of()));
        }
        // runs lists the others and says why it skips this one; the commands that read it refuse it
        Result all = kvmsim("runs", "--journal", journal);
        assertEquals(1, all.status(), all.err());
        assertTrue(all.out().contains("future  UNREADABLE, skipped: log sequence number 1: run future was written in "
                + "journal format 99; this kvmsim reads formats up to 3: read it with a newer kvmsim\n"), all.out());
        assertTrue(all.out().contains("broken  1970-01-01T00:00:00.002Z"), all.out());
        assertTrue(all.out().endsWith("2 runs in " + journal + " (1 unreadable, skipped)\n"), all.out());
        for (List<String> cmd : List.of(List.of("history", "--run", "future"),
                List.of("audit", "--run", "future"), List.of("state", "--run", "future", "--at", "1"))) {
            List<String> args = new ArrayList<>(cmd);
            args.addAll(List.of("--journal", journal));
            Result r = kvmsim(args.toArray(String[]::new));
            assertEquals(2, r.status(), cmd.toString());
            assertEquals(journal + ": run future was written in journal format 99; this kvmsim reads formats up to 3: "
                    + "read it with a newer kvmsim\n", r.err(), cmd.toString());
        }
    }

    @Test
    void usageMistakesAreBadInput() {
        Result neither = kvmsim("state", "--journal", h2);
        assertEquals(2, neither.status());
        assertTrue(neither.err().contains("give --at N or --diff N M"), neither.err());
        Result backwards = kvmsim("history", "--journal", h2, "--from", "9", "--to", "3");
        assertEquals(2, backwards.status());
        assertEquals("--from 9 is after --to 3\n", backwards.err());
        Result partial = kvmsim("history", "--journal", h2, "--run", "hc-a-1", "--entity", "vm/vm");
        assertEquals(2, partial.status(), "vm/vm names no entity: paths match segment by segment");
        Result again = kvmsim("replay", "-q", "--journal", h2, "--run", "hc-a-1", LEAK);
        assertEquals(2, again.status());
        assertTrue(again.err().startsWith("--run hc-a-1: that run is already in "), again.err());
        Result noEntity = kvmsim("state", "--journal", h2, "--run", "hc-a-1", "--at", "20", "--entity", "vcpu/vm9");
        assertEquals(2, noEntity.status());
        assertTrue(noEntity.err().startsWith("--entity vcpu/vm9: no entity"), noEntity.err());
    }
}
