package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import kvmsim.actors.cli.Main;
import kvmsim.actors.testing.Cli.Result;
import org.junit.jupiter.api.Test;

/** The command line as a user meets it: exit statuses, FILE:LINE errors, nothing written on bad input. */
class CliTest {

    @Test
    void malformedTraceExits2WithFileAndLineAndWritesNothing() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-cli");
        Path trace = dir.resolve("bad.trace");
        Files.writeString(trace, "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm0\",\"arch\":\"arm64\"}\n# ok so far\n"
                + "{\"op\":\"KVM_CREATE_VCPU\",\"vm\":\"vm0\",\"vcpu\":0,\"expect\":{\"ertno\":\"EINVAL\"}}\n");
        Path journal = dir.resolve("journal");
        Result r = kvmsim("replay", "--journal", "h2:" + journal, trace.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith(trace + ":3: "), r.err());
        assertTrue(r.err().contains("ertno"), r.err());
        assertFalse(r.err().contains("Exception"), "no stack trace: " + r.err());
        assertFalse(Files.exists(journal), "a rejected trace must not touch the journal");
    }

    @Test
    void stepNotModelledYetIsRefusedByName() throws Exception {
        Path trace = Files.createTempFile("kvmsim", ".trace");
        Files.writeString(trace, "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm0\",\"arch\":\"arm64\"}\n"
                + "{\"op\":\"KVM_GET_DIRTY_LOG\",\"vm\":\"vm0\",\"slot\":0}\n");
        Result r = kvmsim("replay", "--engine", "reference", trace.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains(":2: KVM_GET_DIRTY_LOG on an arm64 VM is not modelled"), r.err());
    }

    @Test
    void wrongExpectationExits1AndSaysWhat() throws Exception {
        Path trace = Files.createTempFile("kvmsim", ".trace");
        Files.writeString(trace, "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm0\",\"arch\":\"arm64\"}\n"
                + "{\"op\":\"KVM_CREATE_VCPU\",\"vm\":\"vm0\",\"vcpu\":0}\n"
                + "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0,\"expect\":{\"ret\":0}}\n");
        Result r = kvmsim("replay", "--journal", "mem", trace.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("MISMATCH ret: expected 0, got -1 (ENOEXEC)"), r.out());
    }

    @Test
    void unexpectedViolationExits1AndPolicyFlagWinsOverTrace() throws Exception {
        Path leak = Path.of("examples/arm64/seed-000-mte-only-no-leak.trace");
        Result ok = kvmsim("replay", "--engine", "reference", leak.toString());
        assertEquals(0, ok.status(), ok.out());
        Result r = kvmsim("replay", "--engine", "reference", "--policy", "sanitise-tags=on-lock", leak.toString());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("pending-op-leak"), r.out());
        assertTrue(r.out().contains("(UNEXPECTED)"), r.out());
    }

    @Test
    void badPolicyAndBadJournalAreUsageErrors() {
        assertEquals(2, kvmsim("replay", "--policy", "sanitise-tags=sometimes", "examples/arm64/seed-000-mte-only-no-leak.trace").status());
        assertEquals(2, kvmsim("replay", "--journal", "postgres:x", "examples/arm64/seed-000-mte-only-no-leak.trace").status());
        assertEquals(2, kvmsim("replay", "no-such-file.trace").status());
    }

    @Test
    void replayThenRunsAndHistoryReadTheJournalBack() throws Exception {
        Path journal = Files.createTempDirectory("kvmsim-hist");
        Result r = kvmsim("replay", "--journal", "h2:" + journal, "--run", "demo",
                "examples/arm64/seed-000-on-lock-leak.trace");
        assertEquals(0, r.status(), r.out() + r.err());
        Result runs = kvmsim("runs", "--journal", "h2:" + journal);
        assertEquals(0, runs.status(), runs.err());
        assertTrue(runs.out().contains("demo") && runs.out().contains("seed-000-on-lock-leak.trace"), runs.out());
        Result hist = kvmsim("history", "--journal", "h2:" + journal, "--run", "demo", "--entity", "vm/vm0");
        assertEquals(0, hist.status(), hist.err());
        assertTrue(hist.out().contains("PendingOpsSet"), hist.out());
        assertFalse(hist.out().contains("host/"), "--entity filters: " + hist.out());
        Result json = kvmsim("replay", "--journal", "h2:" + journal, "--json", "examples/arm64/seed-000-on-lock-leak.trace");
        assertTrue(json.out().lines().allMatch(l -> l.startsWith("{")), json.out());
        assertTrue(json.out().contains("\"type\":\"summary\""), json.out());
    }

    @Test
    void everyCommandAtEveryLevelHasHelpAndVersionOnStdout() {
        picocli.CommandLine cli = Main.commandLine();
        List<List<String>> paths = new ArrayList<>();
        cli.getSubcommands().forEach((name, sub) -> {
            paths.add(List.of(name));
            sub.getSubcommands().keySet().forEach(n -> paths.add(List.of(name, n)));
        });
        assertTrue(paths.size() >= 13, "replay, import-strace, the history commands, node, journal init, help, completion: "
                + paths);
        for (List<String> path : paths) {
            // help is picocli's: it takes -h, and any other word names the command to explain
            List<String> flags = path.equals(List.of("help")) ? List.of("--help", "-h")
                    : List.of("--help", "-h", "--version", "-V");
            for (String flag : flags) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                Result r = kvmsim(args.toArray(String[]::new));
                assertEquals(0, r.status(), args + ": " + r.err());
                assertFalse(r.out().isBlank(), args + " prints to stdout");
                assertEquals("", r.err(), args + " prints nothing on stderr");
                if (flag.startsWith("--v") || flag.equals("-V")) {
                    assertTrue(r.out().startsWith("kvmsim 0.1.0"), r.out());
                } else {
                    assertTrue(r.out().contains("Usage: kvmsim " + String.join(" ", path)), r.out());
                }
            }
        }
    }

    @Test
    void helpCmdIsTheCommandsHelpAndABareKvmsimPrintsTheUsageOnce() {
        Result help = kvmsim("help", "replay");
        assertEquals(0, help.status());
        assertEquals(kvmsim("replay", "--help").out(), help.out());
        // "help X" runs in the whole command tree, "X --help" in a tree of X alone (Main.commandLineFor):
        // both must describe X alike, for every command
        for (String name : Main.commandLine().getSubcommands().keySet()) {
            if (!name.equals("help") && !name.equals("generate-completion")) {
                assertEquals(kvmsim("help", name).out(), kvmsim(name, "--help").out(), name);
            }
        }
        Result bare = kvmsim();
        assertEquals(2, bare.status());
        assertEquals(1, bare.err().split("Usage: kvmsim", -1).length - 1, "the usage once: " + bare.err());
        assertTrue(bare.err().contains("Exit status:") && bare.err().contains("130"), bare.err());
    }

    @Test
    void aCompletionScriptComesFromTheCommandModel() {
        Result r = kvmsim("generate-completion");
        assertEquals(0, r.status());
        for (String word : List.of("replay", "import-strace", "audit", "--engine", "--policy", "init")) {
            assertTrue(r.out().contains(word), word + " completes");
        }
        assertTrue(r.out().contains("complete -F"), "a bash completion function");
    }

    @Test
    void aRunIdMustBeShortAndPlain() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-runid");
        Path trace = dir.resolve("t.trace");
        Files.writeString(trace, "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm0\",\"arch\":\"arm64\"}\n");
        for (String bad : List.of("a/b", "x".repeat(300), "-dash", "sp ace", "")) {
            Result r = kvmsim("replay", "--run", bad, "--journal", "h2:" + dir.resolve("j"), trace.toString());
            assertEquals(2, r.status(), bad);
            assertTrue(r.err().contains("a run id is 1 to 64 letters, digits"), r.err());
            assertFalse(Files.exists(dir.resolve("j")), "nothing written for " + bad);
        }
        Result read = kvmsim("history", "--run", "a/b", "--journal", "mem");
        assertEquals(2, read.status());
        assertTrue(read.err().contains("--run 'a/b': a run id is"), read.err());
        assertEquals(0, kvmsim("replay", "-q", "--run", "ok_1.2-3", "--journal", "h2:" + dir.resolve("j"),
                trace.toString()).status());
    }

    @Test
    void anInternalErrorIsExit3WithOneLineAndTheStackTraceOnlyWithDebug() {
        @picocli.CommandLine.Command(name = "boom")
        class Boom implements Runnable {
            @Override
            public void run() {
                throw new IllegalStateException("the model contradicted itself");
            }
        }
        for (boolean debug : List.of(false, true)) {
            picocli.CommandLine cli = Main.commandLine();
            cli.addSubcommand(new Boom());
            java.io.StringWriter err = new java.io.StringWriter();
            cli.setErr(new java.io.PrintWriter(err));
            int status = debug ? Main.execute(cli, "boom", "--debug") : Main.execute(cli, "boom");
            assertEquals(3, status);
            assertTrue(err.toString().startsWith("kvmsim: internal error: java.lang.IllegalStateException: the model "
                    + "contradicted itself"), err.toString());
            assertEquals(debug, err.toString().contains("\tat "), "stack trace only with --debug: " + err);
        }
    }

    @Test
    void aPipeReplaysTheWholeTraceAndAnEmptyOneIsBadInput() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-pipe");
        Path fifo = dir.resolve("pipe");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        String trace = Files.readString(Path.of("examples/x86/seed-004-unconditional-flush.trace"));
        Thread writer = new Thread(() -> {
            try {
                Files.writeString(fifo, trace);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        Result r = kvmsim("replay", "-q", "--engine", "reference", fifo.toString());
        writer.join();
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains(fifo + ": 21 steps, 0 mismatches"), "a pipe is read once and replayed whole: "
                + r.out());

        Path empty = dir.resolve("empty.trace");
        Files.writeString(empty, "# only a comment\n\n");
        Result e = kvmsim("replay", "--journal", "h2:" + dir.resolve("j"), empty.toString());
        assertEquals(2, e.status());
        assertEquals(empty + ": no step: an empty trace checks nothing\n", e.err());
        assertFalse(Files.exists(dir.resolve("j")));
    }
}
