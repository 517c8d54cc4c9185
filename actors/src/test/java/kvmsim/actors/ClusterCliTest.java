package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import kvmsim.actors.testing.Cli;
import kvmsim.journal.store.JournalLocation;
import org.junit.jupiter.api.Test;

/** The cluster's command line without a cluster: every mistake is exit 2 with one line saying what is wrong. */
class ClusterCliTest {

    static final String TRACE = "examples/x86/seed-004-unconditional-flush.trace";

    @Test
    void aNodeOrAClusterReplayNeedsTheSharedJournal() {
        Cli.Result node = kvmsim("node", "--journal", "mem");
        assertEquals(2, node.status());
        assertEquals("node: the nodes of a cluster share one PostgreSQL journal: --journal postgres://USER@HOST/DB "
                + "(not mem)\n", node.err());
        Cli.Result replay = kvmsim("replay", "--cluster", "127.0.0.1:2551", "--journal", "mem", TRACE);
        assertEquals(2, replay.status());
        assertTrue(replay.err().startsWith("replay --cluster: the nodes of a cluster share one PostgreSQL journal"),
                replay.err());
        Cli.Result reference = kvmsim("replay", "--cluster", "127.0.0.1:2551", "--engine", "reference", TRACE);
        assertEquals(2, reference.status());
        assertTrue(reference.err().contains("--cluster runs the actor engine"), reference.err());
    }

    @Test
    void malformedAddressesAndJournalsAreRefused() {
        Cli.Result seed = kvmsim("replay", "--cluster", "nohost", "--journal", "postgres://u@h/db", TRACE);
        assertEquals(2, seed.status());
        assertEquals("--cluster takes HOST:PORT, not 'nohost'\n", seed.err());
        Cli.Result noDb = kvmsim("runs", "--journal", "postgres://user:secret@dbhost");
        assertEquals(2, noDb.status());
        assertEquals("--journal postgres://user:***@dbhost: give a host and a database: "
                + "postgres://USER[:PASSWORD]@HOST[:PORT]/DB\n", noDb.err(), "and the password is not printed");
        Cli.Result port0 = kvmsim("node", "--port", "0", "--journal", "mem");
        assertEquals(2, port0.status());
        assertTrue(port0.err().startsWith("--port 0 (any free port) needs --seed"), port0.err());
        Cli.Result scheme = kvmsim("runs", "--journal", "mysql://x/y");
        assertEquals(2, scheme.status());
        assertTrue(scheme.err().startsWith("--journal takes h2:DIR, mem, postgres://"), scheme.err());
    }

    @Test
    void anUnreachableDatabaseIsBadInputNotAStackTrace() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Cli.Result r = kvmsim("runs", "--journal", "postgres://kv:pw@127.0.0.1:" + closed + "/kvmsim");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("--journal jdbc:postgresql://127.0.0.1:" + closed + "/kvmsim (user kv): cannot "
                + "open the journal: "), r.err());
        assertFalse(r.err().contains("pw") || r.err().contains("\tat "), r.err());
    }

    @Test
    void aPostgresUriBecomesAJdbcUrlWithItsUser() {
        JournalLocation l = JournalLocation.parse("postgres://alice:s%40cret@db.example:6543/sim?sslmode=require");
        assertTrue(l.isPostgres());
        assertEquals("jdbc:postgresql://db.example:6543/sim?sslmode=require", l.jdbcUrl());
        assertEquals("alice", l.user());
        assertEquals("s@cret", l.password());
        assertFalse(l.toString().contains("s@cret"));
        assertEquals("slick.jdbc.PostgresProfile$", l.config().getString("pekko-persistence-jdbc.shared-databases.slick.profile"));
        assertFalse(JournalLocation.parse("h2:/tmp/x").shareable());
        assertEquals("jdbc:postgresql://h/db?user=u&password=*** (user postgres)",
                JournalLocation.parse("jdbc:postgresql://h/db?user=u&password=secret").toString());
    }
}
