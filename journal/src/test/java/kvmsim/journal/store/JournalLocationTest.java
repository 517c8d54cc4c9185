package kvmsim.journal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class JournalLocationTest {

    /**
     * H2's default keeps commits in memory for up to 500 ms: a confirmed event could vanish with a
     * kill -9. The journal's database must run with the delayed write off.
     */
    @Test
    void anH2JournalWritesEachCommitBeforeItReturns() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-location");
        JournalLocation location = JournalLocation.parse("h2:" + dir);
        location.ensureSchema();
        try (Connection c = DriverManager.getConnection(location.jdbcUrl(), "sa", "");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "select setting_value from information_schema.settings where setting_name = 'WRITE_DELAY'")) {
            assertTrue(rs.next(), "H2 reports its WRITE_DELAY");
            assertEquals("0", rs.getString(1));
        }
    }

    /**
     * H2 makes a database's file empty and writes its header later: a kill in between left a 0-byte
     * journal.mv.db, which kvmsim must take for a damaged journal. A new journal is made under
     * another name and linked in whole: it has its tables and identity the moment it exists, and
     * nothing of its making stays behind, but a creation abandoned over a minute ago is cleared.
     */
    @Test
    void aNewH2JournalAppearsWholeAndLeavesNothingOfItsMakingBehind() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-location");
        Path abandoned = dir.resolve("journal-creating-0000.mv.db");
        Path recent = dir.resolve("journal-creating-1111.mv.db");
        Files.write(abandoned, new byte[] {1});
        Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 120_000));
        Files.write(recent, new byte[] {1});
        JournalLocation location = JournalLocation.parse("h2:" + dir);
        location.ensureSchema();
        assertTrue(Files.size(location.h2File()) > 0);
        assertTrue(location.hasSchema());
        String identity = location.identity();
        assertNotNull(identity);
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of("journal-creating-1111.mv.db", "journal.mv.db"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "the abandoned creation is gone, one that may be another process's is left");
        }
        Path later = dir.resolve("journal-creating-2222.trace.db");
        Files.write(later, new byte[] {1});
        Files.setLastModifiedTime(later, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 120_000));
        location.ensureSchema();
        assertEquals(identity, location.identity(), "a second ensureSchema keeps the journal");
        assertTrue(!Files.exists(later), "one abandoned while the journal was there already is cleared too");
    }
}
