package kvmsim.bench.audit;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import kvmsim.actors.engine.JournaledReplay;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.testing.Cli;
import kvmsim.bench.traces.Arm64TraceGenerator;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.policy.Policies;
import kvmsim.journal.store.JournalLocation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100,000 generated steps replayed on the actor engine into an on-disk H2 journal, then audited
 * offline by the command a user runs: the same violations as the replay's online check. About two
 * minutes on two cores, so it runs with -Pheavy (which .ci/run runs).
 */
@Tag("heavy")
class LargeRunAuditTest {

    @Test
    void aHundredThousandStepRunAuditsOfflineAsItDidOnline(@TempDir Path folder) throws Exception {
        String dir = folder.toString();
        JournalLocation location = JournalLocation.parse("h2:" + dir);
        location.ensureSchema();
        RunReport online;
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            online = JournaledReplay.run(sys, "large", Arm64TraceGenerator.generate(100_000, 7), Policies.defaults(),
                    false, ReplayListener.NONE);
        }
        assertTrue(online.violations().size() > 10, "violations to compare: " + online.violations().size());
        long size = Files.size(location.h2File());
        System.out.println("LargeRunAuditTest: " + online.eventCount() + " events, journal file " + size / 1_000_000 + " MB");
        // H2's upkeep on (H2Housekeeping): without it this file was 2.5 GB, 30 MB of it live
        assertTrue(size < 500_000_000L, "journal file " + size / 1_000_000 + " MB for " + online.eventCount() + " events");
        Cli.Result r = kvmsim("audit", "--json", "--journal", "h2:" + dir, "--run", "large");
        assertEquals(1, r.status(), r.err());
        List<JsonNode> lines = Cli.jsonLines(r.out());
        JsonNode summary = lines.get(lines.size() - 1);
        assertEquals("the same as the replay's online check", summary.get("online").asText());
        assertTrue(summary.get("agrees").asBoolean());
        assertTrue(summary.get("journal_intact").asBoolean(), "196 batches of judged steps count every event");
        assertEquals(online.violations().size(), summary.get("violations").asInt());
        assertEquals(online.eventCount(), summary.get("events").asLong());
        assertEquals(online.violations().size(), lines.size() - 1, "one line per violation, then the summary");
    }
}
