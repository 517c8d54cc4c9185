package kvmsim.actors.engine;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import kvmsim.actors.entity.Sharding;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** An ActorSystem on a journal: a one-node cluster with the entities sharded on it. */
public final class KvmsimSystem implements AutoCloseable {

    private final ActorSystem<Void> system;
    private Sharding sharding;

    private KvmsimSystem(ActorSystem<Void> system) {
        this.system = system;
    }

    /** The configuration for a journal location, over application.conf. */
    public static Config config(JournalLocation journal, Config extra) {
        return extra.withFallback(journal.config()).withFallback(ConfigFactory.load()).resolve();
    }

    /** Starts the system; the journal's schema must exist (JournalLocation.ensureSchema). */
    public static KvmsimSystem start(JournalLocation journal, Config extra) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "kvmsim", config(journal, extra));
        return new KvmsimSystem(system);
    }

    /** Joins itself as a one-node cluster and starts sharding (for replay). */
    public Sharding sharding() {
        if (sharding == null) {
            Cluster cluster = Cluster.get(system);
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            sharding = new Sharding(system);
        }
        return sharding;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            // shutting down anyway; the journal has every event that was acknowledged
        }
    }

    public static Duration askTimeout() {
        return Duration.ofSeconds(30);
    }
}
