package kvmsim.actors.engine;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.List;
import kvmsim.actors.entity.JournalWatch;
import kvmsim.actors.entity.LocalEntities;
import kvmsim.actors.entity.Peers;
import kvmsim.actors.entity.Sharding;
import kvmsim.journal.store.H2Housekeeping;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.persistence.Persistence;

/**
 * An ActorSystem on a journal. Local (replay): every entity in this process, without remoting or a
 * cluster ({@link LocalEntities}). A member ({@code kvmsim node}, {@code replay --cluster}): a node
 * that joins seed nodes, and hosts entities through Cluster Sharding only if it has the
 * {@link Sharding#ROLE} role. A reader (the history commands): the journal alone.
 */
public final class KvmsimSystem implements AutoCloseable {

    /** Where a member listens, whom it joins ({@code host:port} each), and its roles. */
    public record Node(String host, int port, List<String> seeds, List<String> roles) {

        Config config() {
            return ConfigFactory.empty()
                    .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
                    .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
                    .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(
                            seeds.stream().map(s -> "pekko://" + NAME + "@" + s).toList()))
                    .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles));
        }
    }

    public static final String NAME = "kvmsim";

    /** Entities in this process alone, a member of a cluster, or a reader of the journal alone. */
    private enum Mode { LOCAL, MEMBER, READER }

    private static final Config NO_REMOTING = ConfigFactory.parseString("pekko.actor.provider = local");

    private final ActorSystem<Void> system;
    private final Mode mode;
    private final JournalLocation journal;
    private Peers entities;
    private JournalWatch watch;
    private H2Housekeeping upkeep;

    private KvmsimSystem(ActorSystem<Void> system, Mode mode, JournalLocation journal) {
        this.system = system;
        this.mode = mode;
        this.journal = journal;
    }

    /** The configuration for a journal location, over application.conf. */
    public static Config config(JournalLocation journal, Config extra) {
        return extra.withFallback(journal.config()).withFallback(ConfigFactory.load()).resolve();
    }

    /**
     * Starts a system that hosts every entity itself, with neither remoting nor a cluster; the
     * journal's schema must exist (JournalLocation.ensureSchema).
     */
    public static KvmsimSystem start(JournalLocation journal, Config extra) {
        return new KvmsimSystem(ActorSystem.create(Behaviors.empty(), NAME,
                config(journal, extra.withFallback(NO_REMOTING))), Mode.LOCAL, journal);
    }

    /**
     * Starts a system that only reads the journal (runs, history, audit, state, diff, report): no
     * remoting, no cluster, no entities, so it starts in a fraction of a replay's time. Its
     * {@link #entities()} must not be used.
     */
    public static KvmsimSystem startReader(JournalLocation journal) {
        return new KvmsimSystem(ActorSystem.create(Behaviors.empty(), NAME, config(journal, NO_REMOTING)), Mode.READER, journal);
    }

    /**
     * Starts a cluster member that joins {@code node}'s seeds. It carries its journal's identity
     * ({@link JournalLocation#identity()}), which must exist: the cluster refuses a member whose
     * journal is another ({@link SameJournal}).
     */
    public static KvmsimSystem startNode(JournalLocation journal, Node node, Config extra) {
        String identity;
        try {
            identity = journal.identity();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the journal's identity in " + journal + ": " + e.getMessage(), e);
        }
        if (identity == null) {
            throw new IllegalStateException(journal + " has no journal identity: run kvmsim journal init on it");
        }
        Config member = ConfigFactory.empty()
                .withValue(SameJournal.IDENTITY, ConfigValueFactory.fromAnyRef(identity))
                .withValue(SameJournal.DESCRIBED, ConfigValueFactory.fromAnyRef(journal.toString()));
        return new KvmsimSystem(ActorSystem.create(Behaviors.empty(), NAME, config(journal,
                extra.withFallback(member).withFallback(node.config()))), Mode.MEMBER, journal);
    }

    /**
     * Whether this member stopped because the cluster refused it for its configuration: with kvmsim's
     * checker, because its journal is not the cluster's ({@link SameJournal}).
     */
    public boolean refusedByTheCluster() {
        return CoordinatedShutdown.get(system).getShutdownReason()
                .filter(r -> r.equals(CoordinatedShutdown.incompatibleConfigurationDetectedReason())).isPresent();
    }

    /**
     * The entities: started in this process (local), or through Cluster Sharding (member). The first
     * call also starts the upkeep of an H2 journal's file ({@link H2Housekeeping}): by then the caller
     * has checked the journal (a file it refuses is never opened, and so never changed).
     */
    public synchronized Peers entities() {
        if (entities == null) {
            if (mode != Mode.READER) {
                upkeep = H2Housekeeping.start(journal);
            }
            entities = switch (mode) {
                case LOCAL -> new LocalEntities(journalWatch());
                case MEMBER -> new Sharding(system);
                case READER -> throw new IllegalStateException("a journal reader hosts no entities");
            };
        }
        return entities;
    }

    /**
     * The parent of this process's persistent actors that learns why one stopped: the local
     * entities and every run log (a cluster's entities are Cluster Sharding's).
     */
    public synchronized JournalWatch journalWatch() {
        if (watch == null) {
            watch = new JournalWatch(system, "persistent");
        }
        return watch;
    }

    /** A member's Cluster Sharding of the entities (started if need be). */
    public Sharding sharding() {
        if (!(entities() instanceof Sharding s)) {
            throw new IllegalStateException("only a cluster member shards entities");
        }
        return s;
    }

    /**
     * Starts the journal and snapshot plugins now rather than at the first event: they open the
     * database and its connection pool on their own threads while the caller does other work.
     */
    public KvmsimSystem withPluginsStarted() {
        Persistence persistence = Persistence.get(Adapter.toClassic(system));
        persistence.journalFor(null, ConfigFactory.empty());
        persistence.snapshotStoreFor(null, ConfigFactory.empty());
        return this;
    }

    /** Waits until this node is Up and some Up member hosts entities; false on timeout, or if it stopped. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Cluster cluster = Cluster.get(system);
        while (System.nanoTime() < deadline && !system.whenTerminated().isCompleted()) {
            boolean selfUp = cluster.selfMember().status() == MemberStatus.up();
            boolean hosts = false;
            for (var m : cluster.state().getMembers()) {
                hosts |= m.status() == MemberStatus.up() && m.hasRole(Sharding.ROLE);
            }
            if (selfUp && hosts) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            // shutting down anyway; the journal has every event that was acknowledged
        }
        synchronized (this) {
            if (upkeep != null) {
                upkeep.close();
            }
        }
    }

    /**
     * How long the driver waits for one entity's answer before it checks and retries, and for one
     * write of the run log ({@code kvmsim.ask-timeout}).
     */
    public static Duration driverTimeout(ActorSystem<?> system) {
        return system.settings().config().getDuration("kvmsim.ask-timeout");
    }

    /** How long a broadcaster waits for its receivers before it sends again ({@code kvmsim.broadcast-timeout}). */
    public static Duration broadcastTimeout(ActorSystem<?> system) {
        return system.settings().config().getDuration("kvmsim.broadcast-timeout");
    }

    /** How long the driver keeps retrying one command across node failures ({@code kvmsim.retry-deadline}). */
    public static Duration retryDeadline(ActorSystem<?> system) {
        return system.settings().config().getDuration("kvmsim.retry-deadline");
    }
}
