package kvmsim.journal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
