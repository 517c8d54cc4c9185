package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import kvmsim.actors.engine.JournaledReplay;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.RunLog;
import kvmsim.actors.history.RunLogWriter;
import kvmsim.actors.testing.Cli.Result;
import kvmsim.actors.testing.JournalRows;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.trace.TraceSource;
import kvmsim.journal.store.JournalLocation;
import kvmsim.journal.trace.TraceParser;
import org.junit.jupiter.api.Test;

/** replay --resume: a run cut off mid-way goes on to what an uninterrupted run keeps; what it refuses. */
class ResumeCliTest {

    // a VM flushing its vCPUs' TLBs: broadcasts between entities
    private static final String FLUSH = "examples/x86/seed-004-unconditional-flush.trace";
    private static final String LEAK = HistoryCommandsTest.LEAK;

    /** The process dies (here: an Error out of the listener) with steps judged and persisted but not in the run log. */
    private static final class Killed extends Error {
        Killed() {
            super("killed", null, false, false);
        }
    }

    private static String cutOff(String trace, int judged) throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-resume");
        JournalLocation location = JournalLocation.parse("h2:" + dir);
        location.ensureSchema();
        TraceSource t = TraceParser.openAny(trace);
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            assertThrows(Killed.class, () -> JournaledReplay.run(sys, "cut", t, Replay.policiesFor(t, Map.of()), false,
                    new ReplayListener() {
                        private int steps;

                        @Override
                        public void step(StepResult s) {
                            if (++steps == judged) {
                                throw new Killed();
                            }
                        }
                    }));
        }
        return "h2:" + dir;
    }

    // the run's events, entity by entity in sequence order, without the journal's global ordering
    private static List<String> events(String journal, String run) {
        Result h = kvmsim("history", "--json", "--run", run, "--journal", journal);
        assertEquals(0, h.status(), h.err());
        return h.out().lines().map(l -> l.replaceAll("\"ordering\":\\d+,", "").replace("\"run\":\"" + run + "\"", ""))
                .sorted().toList();
    }

    @Test
    void aRunCutOffWithStepsPersistedButNotLoggedResumesToTheUninterruptedRun() throws Exception {
        String journal = cutOff(FLUSH, 9);
        Result runs = kvmsim("runs", "--journal", journal);
        assertTrue(runs.out().contains("interrupted at step 0 "), "no batch of the run log was written: " + runs.out());

        Result resumed = kvmsim("replay", "--resume", "cut", "--journal", journal, FLUSH);
        assertEquals(0, resumed.status(), resumed.err() + resumed.out());
        assertTrue(resumed.out().contains("21 steps") && resumed.out().contains("43 events"), resumed.out());

        Path fresh = Files.createTempDirectory("kvmsim-fresh");
        assertEquals(0, kvmsim("replay", "-q", "--run", "cut", "--journal", "h2:" + fresh, FLUSH).status());
        assertEquals(events("h2:" + fresh, "cut"), events(journal, "cut"), "each entity's events, once, in order");
        Result after = kvmsim("runs", "--journal", journal);
        assertTrue(after.out().contains("finished (resumed 1 time) steps=21 events=43"), after.out());
        Result audit = kvmsim("audit", "--run", "cut", "--journal", journal);
        assertEquals(0, audit.status(), audit.out());
        assertTrue(audit.out().contains("the same as the replay's online check"), audit.out());

        Result again = kvmsim("replay", "--resume", "cut", "--journal", journal, FLUSH);
        assertEquals(2, again.status());
        assertTrue(again.err().contains("--resume cut: the run finished (21 steps, exit 0): there is nothing to resume"),
                again.err());
    }

    @Test
    void aResumeWithAnotherTraceOtherPoliciesOrTheReferenceEngineIsRefused() throws Exception {
        String journal = cutOff(LEAK, 3);
        Result other = kvmsim("replay", "--resume", "cut", "--journal", journal, FLUSH);
        assertEquals(2, other.status());
        assertTrue(other.err().startsWith("--resume cut: " + FLUSH + " is not the trace the run ran (" + LEAK + ", sha256:"),
                other.err());
        Result policy = kvmsim("replay", "--resume", "cut", "--policy", "sanitise-tags=mte-only", "--journal", journal,
                LEAK);
        assertEquals(2, policy.status());
        assertTrue(policy.err().contains("the run ran with other policies: sanitise-tags=on-lock (now mte-only)"),
                policy.err());
        Result reference = kvmsim("replay", "--resume", "cut", "--engine", "reference", "--journal", journal, LEAK);
        assertEquals(2, reference.status());
        assertTrue(reference.err().contains("the reference engine keeps none"), reference.err());
        Result unknown = kvmsim("replay", "--resume", "nope", "--journal", journal, LEAK);
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("--resume nope: no such run"), unknown.err());
        Result withRun = kvmsim("replay", "--resume", "cut", "--run", "x", "--journal", journal, LEAK);
        assertEquals(2, withRun.status());
        assertEquals(2, kvmsim("replay", "--resume", "cut", "--journal", "h2:" + journal.substring(3) + "-absent", LEAK)
                .status());
        // nothing of the refused resumes was written: it still resumes
        assertEquals(0, kvmsim("replay", "-q", "--resume", "cut", "--journal", journal, LEAK).status());
    }

    @Test
    void aRunThatDidNotKeepItsTracesDigestCannotBeResumed() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-nodigest");
        JournalLocation location = JournalLocation.parse("h2:" + dir);
        location.ensureSchema();
        TraceSource t = TraceParser.openAny(LEAK);
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            new RunLogWriter(sys, "old", "log-old").started(new RunLog.RunStarted(LEAK, "actors",
                    Replay.policiesFor(t, Map.of()).values(), 0, 2, List.of()));
        }
        // a journal from before kvmsim wrote its identity: a refused resume does not write one either
        try (JournalRows rows = JournalRows.h2(dir)) {
            rows.forgetIdentity();
        }
        Result r = kvmsim("replay", "--resume", "old", "--journal", "h2:" + dir, LEAK);
        assertEquals(2, r.status());
        assertTrue(r.err().contains("did not keep its trace's digest"), r.err());
        assertNull(location.identity(), "the refused resume wrote nothing");
        Result mem = kvmsim("replay", "--resume", "old", "--journal", "mem", LEAK);
        assertEquals(2, mem.status());
        assertTrue(mem.err().contains("an in-memory journal (mem) keeps no run after its process"), mem.err());
    }

    @Test
    void anH2FileWithoutTablesHasNoRunToResumeAndGetsNone() throws Exception {
        // an H2 file without tables: what an older kvmsim killed while it started left (a new journal appears whole now)
        Path dir = Files.createTempDirectory("kvmsim-notables");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("journal"), "sa", "")) {
            assertTrue(c.isValid(1));
        }
        JournalLocation location = JournalLocation.parse("h2:" + dir);
        assertTrue(Files.exists(dir.resolve("journal.mv.db")));
        Result r = kvmsim("replay", "--resume", "early", "--journal", "h2:" + dir, LEAK);
        assertEquals(2, r.status());
        assertEquals("--resume early: no such run in h2:" + dir + " (it holds no kvmsim tables yet): nothing to resume\n",
                r.err());
        assertFalse(location.hasSchema(), "the refused resume created no table");
        // and a new run there goes ahead
        assertEquals(0, kvmsim("replay", "-q", "--run", "early", "--journal", "h2:" + dir, LEAK).status());
    }
}
