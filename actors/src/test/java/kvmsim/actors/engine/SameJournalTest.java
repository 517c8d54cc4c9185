package kvmsim.actors.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kvmsim.journal.store.JournalLocation;
import org.junit.jupiter.api.Test;

/**
 * A cluster is closed to a node on another journal: each journal has an identity (written once,
 * kept through a second init), and a member whose identity differs is refused when it joins,
 * before it hosts anything; a member on the same journal joins. Two in-memory H2 journals stand in
 * for two databases (the PostgreSQL version is ClusterTest's, in the heavy profile).
 */
class SameJournalTest {

    private static Config member(String identity, String described) {
        return ConfigFactory.parseString(SameJournal.IDENTITY + " = \"" + identity + "\"\n" + SameJournal.DESCRIBED
                + " = \"" + described + "\"");
    }

    @Test
    void theCheckNamesBothJournals() {
        Config a = member("aaaa", "jdbc:postgresql://db1/kvmsim (user kv)");
        Config b = member("bbbb", "jdbc:postgresql://db2/kvmsim (user kv)");
        assertNull(SameJournal.problem(a, member("aaaa", "jdbc:postgresql://db1.example/kvmsim (user kv)")),
                "one journal reached by two names is one journal");
        assertEquals("another journal: journal bbbb (jdbc:postgresql://db2/kvmsim (user kv)) is not journal aaaa "
                + "(jdbc:postgresql://db1/kvmsim (user kv)); every node of a cluster, and every replay --cluster, must "
                + "use the cluster's --journal", SameJournal.problem(b, a));
        assertTrue(SameJournal.problem(ConfigFactory.empty(), a).startsWith("another journal: a journal without an "
                + "identity is not journal aaaa"));
        assertFalse(new SameJournal().check(b, a) instanceof org.apache.pekko.cluster.Valid$);
        assertTrue(new SameJournal().check(a, a) instanceof org.apache.pekko.cluster.Valid$);
    }

    @Test
    void aJournalKeepsItsIdentityThroughASecondInit() throws Exception {
        JournalLocation j = JournalLocation.inMemory("same-journal-id");
        assertNull(j.identity(), "none before init");
        j.ensureSchema();
        String id = j.identity();
        assertEquals(36, id.length(), id);
        j.ensureSchema();
        assertEquals(id, j.identity());
        JournalLocation other = JournalLocation.inMemory("same-journal-id-other");
        other.ensureSchema();
        assertNotEquals(id, other.identity());
    }

    @Test
    void aNodeOnAnotherJournalIsRefusedAndOneOnTheSameJoins() throws Exception {
        JournalLocation a = JournalLocation.inMemory("cluster-a");
        JournalLocation b = JournalLocation.inMemory("cluster-b");
        a.ensureSchema();
        b.ensureSchema();
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String seed = "127.0.0.1:" + port;
        try (KvmsimSystem first = KvmsimSystem.startNode(a, new KvmsimSystem.Node("127.0.0.1", port, List.of(seed),
                List.of("entities")), ConfigFactory.empty())) {
            first.sharding();
            try (KvmsimSystem foreign = KvmsimSystem.startNode(b, new KvmsimSystem.Node("127.0.0.1", 0, List.of(seed),
                    List.of("entities")), ConfigFactory.empty())) {
                assertFalse(foreign.awaitReady(Duration.ofSeconds(30)), "never Up");
                foreign.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertTrue(foreign.refusedByTheCluster(), "stopped because the cluster refused it");
            }
            assertEquals(1, org.apache.pekko.cluster.typed.Cluster.get(first.system()).state().getMembers()
                    .spliterator().getExactSizeIfKnown(), "the cluster is still the first node alone");
            try (KvmsimSystem same = KvmsimSystem.startNode(a, new KvmsimSystem.Node("127.0.0.1", 0, List.of(seed),
                    List.of("driver")), ConfigFactory.empty())) {
                assertTrue(same.awaitReady(Duration.ofSeconds(30)), "a node on the cluster's journal joins");
                assertFalse(same.refusedByTheCluster());
            }
        }
    }
}
