package kvmsim.actors.cli;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.LocalActorRefProvider;
import org.junit.jupiter.api.Test;

/** The reading commands open the journal without remoting or a cluster: nothing to join, nothing to host. */
class JournalSessionTest {

    @Test
    void aReadingSessionStartsNoClusterAndStillReadsTheRuns() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-session");
        String journal = "h2:" + dir;
        assertEquals(0, kvmsim("replay", "-q", "--journal", journal, "--run", "s1",
                "examples/x86/seed-004-unconditional-flush.trace").status());
        JournalOption option = new JournalOption();
        option.spec = journal;
        try (JournalSession session = JournalSession.open(option)) {
            ExtendedActorSystem classic = (ExtendedActorSystem) session.system().system().classicSystem();
            assertEquals(LocalActorRefProvider.class, classic.provider().getClass());
            assertEquals("s1", session.run(null, "--run").id());
            assertThrows(IllegalStateException.class, () -> session.system().sharding());
        }
    }
}
