package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import kvmsim.actors.testing.Cli;
import kvmsim.actors.testing.Cli.Result;
import kvmsim.actors.testing.JournalRows;
import kvmsim.journal.store.JournalLocation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Damage stays local: a run whose rows cannot be read is named (run, entity, sequence number,
 * reason) and set aside, the journal's other runs read as before; and a reading command never makes
 * a journal of a missing, empty or foreign file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JournalDamageTest {

    static final String TRACE = "examples/x86/seed-004-if-modified-stale-tlb.trace";

    private Path dir;
    private String journal;
    private String entity;

    /** d-2: an entity's row names an event type this kvmsim does not have; d-3: its log's first row a class. */
    @BeforeAll
    void replayAndDamage() throws Exception {
        dir = Files.createTempDirectory("kvmsim-damage");
        journal = "h2:" + dir;
        Result r = kvmsim("replay", "-q", "--journal", journal, "--run", "d", TRACE, TRACE, TRACE, TRACE);
        assertEquals(0, r.status(), r.out() + r.err());
        try (JournalRows rows = JournalRows.h2(dir)) {
            entity = rows.busiest("d-2/").substring("d-2/".length());
            rows.retype("d-2/" + entity, 2, "VmEvent.FromTheFuture");
            rows.manifest("d-3/log", 1, "kvmsim.actors.history.RunLog$RunFromTheFuture");
        }
    }

    @Test
    void runsReportsTheUnreadableRunAndListsTheOthers() throws Exception {
        Result r = kvmsim("runs", "--journal", journal);
        assertEquals(1, r.status(), r.out() + r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(5, lines.size(), r.out());
        assertTrue(lines.get(0).startsWith("d-1  ") && lines.get(1).startsWith("d-2  ") && lines.get(2)
                .startsWith("d-4  "), r.out());
        assertTrue(lines.get(3).startsWith("d-3  UNREADABLE, skipped: log sequence number 1: a class this kvmsim does "
                + "not have: ") && lines.get(3).contains("RunFromTheFuture"), lines.get(3));
        assertEquals("3 runs in " + journal + " (1 unreadable, skipped)", lines.get(4));

        List<JsonNode> json = Cli.jsonLines(kvmsim("runs", "--json", "--journal", journal).out());
        JsonNode bad = json.get(json.size() - 1);
        assertEquals("unreadable_run", bad.get("type").asText());
        assertEquals("d-3", bad.get("run").asText());
        assertEquals("log", bad.get("entity").asText());
        assertEquals(1, bad.get("sequence_nr").asLong());
    }

    @Test
    void anUnreadableEventIsNamedExactlyOnOneLine() {
        for (List<String> cmd : List.of(List.of("history"), List.of("audit"), List.of("state", "--at", "20"),
                List.of("diff", "d-1"))) {
            List<String> args = new java.util.ArrayList<>(cmd);
            args.addAll(List.of("--run", "d-2", "--journal", journal));
            if (cmd.get(0).equals("diff")) {
                args = List.of("diff", "d-1", "d-2", "--journal", journal);
            }
            Result r = kvmsim(args.toArray(String[]::new));
            assertEquals(2, r.status(), cmd + r.out());
            assertEquals(journal + ": run d-2: cannot read " + entity + " sequence number 2: a type "
                    + "'VmEvent.FromTheFuture' that this kvmsim does not know (written by a newer kvmsim, or changed) "
                    + "(the journal's other runs are not affected)\n", r.err(), cmd.toString());
        }
        Result log = kvmsim("history", "--run", "d-3", "--journal", journal);
        assertEquals(2, log.status());
        assertTrue(log.err().startsWith(journal + ": run d-3: cannot read log sequence number 1: a class this kvmsim "
                + "does not have: "), log.err());
        assertFalse(log.err().contains("known type ids"), log.err());
    }

    @Test
    void theOtherRunsStayReadable() {
        for (List<String> cmd : List.of(List.of("history", "--run", "d-1"), List.of("audit", "--run", "d-4"),
                List.of("state", "--run", "d-1", "--at", "20"), List.of("diff", "d-1", "d-4"), List.of("history"))) {
            List<String> args = new java.util.ArrayList<>(cmd);
            args.addAll(List.of("--journal", journal));
            Result r = kvmsim(args.toArray(String[]::new));
            assertEquals(0, r.status(), cmd + r.out() + r.err());
            assertEquals("", r.err(), cmd.toString());
        }
        assertTrue(kvmsim("history", "--journal", journal).out().contains(" events of run d-4"),
                "the latest readable run");
    }

    @Test
    void aReadingCommandNeverMakesAJournal() throws Exception {
        Path empty = Files.createTempDirectory("kvmsim-zero");
        Files.createFile(empty.resolve("journal.mv.db"));
        for (List<String> cmd : List.of(List.of("runs"), List.of("history"), List.of("replay", "-q", TRACE))) {
            List<String> args = new java.util.ArrayList<>(cmd);
            args.addAll(List.of("--journal", "h2:" + empty));
            Result r = kvmsim(args.toArray(String[]::new));
            assertEquals(2, r.status(), cmd + r.out());
            assertEquals("--journal h2:" + empty + ": " + empty.resolve("journal.mv.db") + " is empty (0 bytes): not a "
                    + "journal; it was truncated or never written, and whatever runs it held are lost (move it away "
                    + "to start a new journal there)\n", r.err(), cmd.toString());
            assertEquals(0, Files.size(empty.resolve("journal.mv.db")), cmd + " left the file as it was");
        }

        Path foreign = Files.createTempDirectory("kvmsim-foreign");
        try (var c = DriverManager.getConnection("jdbc:h2:file:" + foreign.resolve("journal"), "sa", "")) {
            c.createStatement().execute("create table notes (x int)");
        }
        Result r = kvmsim("runs", "--journal", "h2:" + foreign);
        assertEquals(2, r.status(), r.out());
        assertEquals("--journal h2:" + foreign + ": no kvmsim tables there: not a kvmsim journal\n", r.err());
        assertFalse(JournalLocation.parse("h2:" + foreign).hasSchema(), "runs created no table");

        Path none = Files.createTempDirectory("kvmsim-none");
        Result missing = kvmsim("audit", "--journal", "h2:" + none);
        assertEquals(2, missing.status());
        assertFalse(Files.exists(none.resolve("journal.mv.db")), "audit created no journal");
    }
}
