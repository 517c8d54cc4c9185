package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
