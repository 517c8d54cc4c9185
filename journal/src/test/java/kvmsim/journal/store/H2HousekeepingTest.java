package kvmsim.journal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2HousekeepingTest {

    private static final int ROUNDS = 4;
    private static final int COMMITS_PER_ROUND = 1_500;

    // one row per commit, as the journal plugin writes a lone event: the file grows by a chunk each
    private static void writeRound(Connection c, int round) throws Exception {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO scratch(pid, seq, payload) VALUES (?, ?, ?)")) {
            for (int i = 0; i < COMMITS_PER_ROUND; i++) {
                p.setString(1, "run/vm/vm" + (i % 7));
                p.setLong(2, (long) round * COMMITS_PER_ROUND + i);
                p.setBytes(3, new byte[140]);
                p.executeUpdate();
            }
        }
    }

    @Test
    void aJournalWrittenOneCommitAtATimeStaysNearOneRoundsWritesInsteadOfGrowingWithEach(@TempDir Path dir)
            throws Exception {
        JournalLocation journal = JournalLocation.parse("h2:" + dir);
        journal.ensureSchema();
        try (H2Housekeeping upkeep = H2Housekeeping.start(journal); Connection c = journal.connectExisting()) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE scratch(pid VARCHAR(255), seq BIGINT, payload VARBINARY, PRIMARY KEY(pid, seq))");
            }
            long before = Files.size(journal.h2File());
            writeRound(c, 0);
            long oneRound = Files.size(journal.h2File()) - before;
            for (int round = 1; round < ROUNDS; round++) {
                // longer than the retention and two rounds of upkeep: the last round's dead chunks are free
                Thread.sleep(H2Housekeeping.RETENTION_MS + 3 * H2Housekeeping.PERIOD_MS);
                writeRound(c, round);
            }
            long size = Files.size(journal.h2File());
            // without the upkeep each round adds oneRound (every chunk keeps a live page): ROUNDS x oneRound
            assertTrue(size < before + 2 * oneRound, "file " + size / 1_000_000 + " MB after " + ROUNDS
                    + " rounds; one round added " + oneRound / 1_000_000 + " MB");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM scratch")) {
                rs.next();
                assertEquals(ROUNDS * COMMITS_PER_ROUND, rs.getLong(1), "the upkeep moved rows, it lost none");
            }
        }
    }

    @Test
    void anEmptyJournalFileIsLeftAsItIs(@TempDir Path dir) throws Exception {
        JournalLocation journal = JournalLocation.parse("h2:" + dir);
        Files.createDirectories(dir);
        Files.createFile(journal.h2File());
        try (H2Housekeeping upkeep = H2Housekeeping.start(journal)) {
            Thread.sleep(3 * H2Housekeeping.PERIOD_MS);
        }
        assertEquals(0, Files.size(journal.h2File()), "the CLI refuses it as damaged; H2 must not make it a journal");
    }
}
