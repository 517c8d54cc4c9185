package kvmsim.bench.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.journal.store.JournalLocation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The TLS recipe of docs/cluster.md, run: key and trust stores made by keytool as shown, nodes on
 * Artery tls-tcp with mutual authentication and hostname verification. A node with the shared
 * certificate joins; one with a certificate of its own, and one on plain TCP, never do. (On an
 * in-memory journal: what is tested is the transport, not the database.)
 */
@Tag("multinode")
class ClusterTlsTest {

    private static final String PASS = "kvmsim-test";

    /** keytool as docs/cluster.md shows it: a key store and a trust store holding its certificate. */
    private static Path stores(Path dir, String cn) throws Exception {
        Files.createDirectories(dir);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(dir, keytool, "-genkeypair", "-alias", "node", "-keyalg", "RSA", "-keysize", "2048", "-validity", "30",
                "-dname", "CN=" + cn, "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-keystore", "keystore.p12",
                "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS);
        run(dir, keytool, "-exportcert", "-alias", "node", "-keystore", "keystore.p12", "-storepass", PASS, "-rfc",
                "-file", "node.crt");
        run(dir, keytool, "-importcert", "-noprompt", "-alias", "node", "-file", "node.crt", "-keystore",
                "truststore.p12", "-storetype", "PKCS12", "-storepass", PASS);
        return dir;
    }

    private static void run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + out);
    }

    private static Config tls(Path stores) {
        return ConfigFactory.parseString("""
                pekko.remote.artery {
                  transport = tls-tcp
                  ssl.config-ssl-engine {
                    key-store = "%1$s/keystore.p12"
                    trust-store = "%1$s/truststore.p12"
                    key-store-password = "%2$s"
                    key-password = "%2$s"
                    trust-store-password = "%2$s"
                    protocol = "TLSv1.3"
                    enabled-algorithms = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]
                    require-mutual-authentication = on
                    hostname-verification = on
                  }
                }
                """.formatted(stores.toAbsolutePath(), PASS));
    }

    @Test
    void onlyANodeWithTheSharedCertificateJoins() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-tls");
        Path shared = stores(dir.resolve("shared"), "kvmsim");
        Path rogue = stores(dir.resolve("rogue"), "rogue");
        JournalLocation journal = JournalLocation.inMemory("tls");
        journal.ensureSchema();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String seed = "127.0.0.1:" + port;
        List<KvmsimSystem> started = new ArrayList<>();
        try {
            KvmsimSystem first = KvmsimSystem.startNode(journal, new KvmsimSystem.Node("127.0.0.1", port,
                    List.of(seed), List.of("entities")), tls(shared));
            started.add(first);
            first.sharding();
            assertEquals("tls-tcp", first.system().settings().config().getString("pekko.remote.artery.transport"));

            KvmsimSystem friend = KvmsimSystem.startNode(journal, new KvmsimSystem.Node("127.0.0.1", 0, List.of(seed),
                    List.of("driver")), tls(shared));
            started.add(friend);
            assertTrue(friend.awaitReady(Duration.ofSeconds(60)), "a node with the shared certificate joins");

            KvmsimSystem stranger = KvmsimSystem.startNode(journal, new KvmsimSystem.Node("127.0.0.1", 0,
                    List.of(seed), List.of("driver")), tls(rogue));
            started.add(stranger);
            KvmsimSystem plain = KvmsimSystem.startNode(journal, new KvmsimSystem.Node("127.0.0.1", 0, List.of(seed),
                    List.of("driver")), ConfigFactory.empty());
            started.add(plain);
            assertFalse(stranger.awaitReady(Duration.ofSeconds(20)), "a certificate the cluster does not trust");
            assertFalse(plain.awaitReady(Duration.ofSeconds(5)), "plain TCP");
            List<String> members = new ArrayList<>();
            org.apache.pekko.cluster.typed.Cluster.get(first.system()).state().getMembers()
                    .forEach(m -> members.add(m.address().toString()));
            assertEquals(List.of(first.system().address().toString(), friend.system().address().toString()).stream()
                    .sorted().toList(), members.stream().sorted().toList(), "the cluster is the two trusted nodes");
        } finally {
            started.forEach(KvmsimSystem::close);
        }
    }
}
