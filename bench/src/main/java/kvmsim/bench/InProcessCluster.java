package kvmsim.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.entity.Sharding;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * A cluster of {@code n} entity nodes and one driver node in this process, on loopback ports and
 * one shared journal: the cost of spreading entities over nodes (remote asks, cross-node
 * broadcasts, Cluster Sharding), measured on one machine whose cores they share.
 */
final class InProcessCluster implements AutoCloseable {

    private final List<KvmsimSystem> nodes = new ArrayList<>();
    private final KvmsimSystem driver;

    InProcessCluster(JournalLocation location, int n) throws InterruptedException {
        // Pekko's gate on a forming cluster: members stay Joining, and each kind's coordinator places
        // no shard, until n entity nodes are there. Without it the driver, Up with the first node,
        // could start the first round while the others joined: shards placed on the first nodes move
        // when the others register, and a moving shard drops the messages it buffered (a round then
        // waits kvmsim.ask-timeout for the driver to resend them)
        Config gate = ConfigFactory.parseString("pekko.cluster.role." + Sharding.ROLE + ".min-nr-of-members = " + n);
        try {
            KvmsimSystem first = KvmsimSystem.startNode(location, new KvmsimSystem.Node("127.0.0.1", 0, List.of(),
                    List.of(Sharding.ROLE)), gate);
            nodes.add(first);
            String seed = first.system().address().getHost().get() + ":" + first.system().address().getPort().get();
            Cluster.get(first.system()).manager().tell(Join.create(first.system().address()));
            for (int i = 1; i < n; i++) {
                nodes.add(KvmsimSystem.startNode(location, new KvmsimSystem.Node("127.0.0.1", 0, List.of(seed),
                        List.of(Sharding.ROLE)), gate));
            }
            nodes.forEach(KvmsimSystem::sharding);
            driver = KvmsimSystem.startNode(location, new KvmsimSystem.Node("127.0.0.1", 0, List.of(seed),
                    List.of("driver")), gate);
            nodes.add(driver);
            if (!driver.awaitReady(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the in-process cluster of " + n + " nodes did not form within 60 s");
            }
            driver.sharding();
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
    }

    /** The node that hosts nothing and drives the replay. */
    KvmsimSystem driver() {
        return driver;
    }

    @Override
    public void close() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
    }
}
