package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import kvmsim.actors.testing.Cli;
import kvmsim.actors.testing.Cli.Result;
import kvmsim.actors.testing.JournalRows;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * audit checks the journal as well as the rules: one replay of an example as five runs, four of
 * them damaged behind kvmsim's back (an event forged after a gap, an event lost in the middle, a
 * run-log row lost, an entity's last event lost where the numbering alone shows nothing); each is a
 * finding naming the run, entity and sequence number, and exit 1; the intact run passes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditJournalIntegrityTest {

    static final String TRACE = "examples/x86/seed-004-if-modified-stale-tlb.trace";

    private Path dir;
    private String journal;
    private String entity;
    private long last;

    @BeforeAll
    void replayFiveRuns() throws Exception {
        dir = Files.createTempDirectory("kvmsim-integrity");
        journal = "h2:" + dir;
        Result r = kvmsim("replay", "-q", "--journal", journal, "--run", "ji", TRACE, TRACE, TRACE, TRACE, TRACE);
        assertEquals(0, r.status(), r.out() + r.err());
        try (JournalRows rows = JournalRows.h2(dir)) {
            String pid = rows.busiest("ji-1/");
            entity = pid.substring("ji-1/".length());
            last = rows.sequenceNrs(pid).size();
            assertTrue(last >= 3, pid + " has " + last + " events");
            rows.copy("ji-2/" + entity, last, last + 8);
            rows.delete("ji-3/" + entity, 2);
            assertEquals(List.of(1L, 2L, 3L), rows.sequenceNrs("ji-4/log"), "started, one batch of steps, finished");
            rows.delete("ji-4/log", 2);
            rows.delete("ji-5/" + entity, last);
        }
    }

    @Test
    void anIntactRunPasses() {
        Result r = kvmsim("audit", "--journal", journal, "--run", "ji-1");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("journal of run ji-1: intact (25 events numbered from 1 without gaps per entity, "
                + "as the run log counted them step by step)\n"), r.out());
    }

    @Test
    void anEventForgedAfterAGapIsFound() throws Exception {
        Result r = kvmsim("audit", "--journal", journal, "--run", "ji-2");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("journal of run ji-2: 3 integrity findings\n"), r.out());
        assertTrue(r.out().contains("  " + entity + " sequence number " + (last + 1) + ": missing up to " + (last + 7)
                + ": the rows skip them\n"), r.out());
        assertTrue(r.out().contains("  " + entity + " sequence number " + (last + 8) + ": an event of line "),
                r.out());
        assertTrue(r.out().contains(" that the run log does not count (it counts " + last + " events of this entity)"),
                r.out());
        assertTrue(r.out().contains("  log sequence number 3: the finish counts "), r.out());

        List<JsonNode> lines = Cli.jsonLines(kvmsim("audit", "--json", "--journal", journal, "--run", "ji-2").out());
        List<JsonNode> findings = lines.stream().filter(n -> n.get("type").asText().equals("journal_finding")).toList();
        assertEquals(3, findings.size(), lines.toString());
        JsonNode forged = findings.stream().filter(n -> n.get("sequence_nr").asLong() == last + 8).findFirst()
                .orElseThrow();
        assertEquals("ji-2", forged.get("run").asText());
        assertEquals(entity, forged.get("entity").asText());
        JsonNode sum = lines.get(lines.size() - 1);
        assertEquals("audit", sum.get("type").asText());
        assertEquals(false, sum.get("journal_intact").asBoolean());
        assertEquals(3, sum.get("journal_findings").asInt());
    }

    @Test
    void aLostEventIsFound() {
        Result r = kvmsim("audit", "--journal", journal, "--run", "ji-3");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("  " + entity + " sequence number 2: missing: the run log counts 1 event of line "),
                r.out());
    }

    @Test
    void aLostRunLogRowIsFound() {
        Result r = kvmsim("audit", "--journal", journal, "--run", "ji-4");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("  log sequence number 2: missing: the rows skip it\n"), r.out());
        assertTrue(r.out().contains("  log sequence number 3: the finish counts 20 steps, the log holds 0 judged "
                + "steps\n"), r.out());
    }

    @Test
    void anEntitysLastEventLostIsFoundByTheCounts() {
        Result r = kvmsim("audit", "--journal", journal, "--run", "ji-5");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("  " + entity + " sequence number " + last + ": missing: the run log counts 1 "
                + "event of line "), r.out());
        assertTrue(r.out().contains("  log sequence number 3: the finish counts 25 events, the journal holds 24\n"),
                r.out());
    }
}
