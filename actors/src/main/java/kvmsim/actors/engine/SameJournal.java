package kvmsim.actors.engine;

import com.typesafe.config.Config;
import java.util.List;
import org.apache.pekko.cluster.ConfigValidation;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.JoinConfigCompatChecker;
import org.apache.pekko.cluster.Valid$;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Refuses a node that would join a cluster on another journal: Pekko runs this checker when a node
 * joins (on the seed, with the joiner's configuration, and on the joiner with the cluster's), and an
 * invalid result shuts the joiner down before it hosts a shard. Every member carries the identity of
 * its journal ({@code kvmsim journal init} writes one per database; {@link KvmsimSystem#startNode}
 * reads it) and how it reached it; a node whose events would go elsewhere never becomes a member, so
 * a replay's events cannot be split over two databases.
 */
public final class SameJournal extends JoinConfigCompatChecker {

    static final String IDENTITY = "kvmsim.journal-identity";
    static final String DESCRIBED = "kvmsim.journal-described";

    @Override
    public scala.collection.immutable.Seq<String> requiredKeys() {
        return CollectionConverters.asScala(List.of(IDENTITY, DESCRIBED)).toList();
    }

    @Override
    public ConfigValidation check(Config toCheck, Config actualConfig) {
        String problem = problem(toCheck, actualConfig);
        return problem == null ? Valid$.MODULE$ : new Invalid(CollectionConverters.asScala(List.of(problem)).toList());
    }

    /**
     * Why {@code other}'s node may not join (or be joined by) the node of {@code own}, naming both
     * journals; null when they share one.
     */
    public static String problem(Config other, Config own) {
        String theirs = other.hasPath(IDENTITY) ? other.getString(IDENTITY) : null;
        String ours = own.getString(IDENTITY);
        if (ours.equals(theirs)) {
            return null;
        }
        return "another journal: " + describe(other) + " is not " + describe(own)
                + "; every node of a cluster, and every replay --cluster, must use the cluster's --journal";
    }

    private static String describe(Config c) {
        return c.hasPath(IDENTITY) ? "journal " + c.getString(IDENTITY) + " (" + c.getString(DESCRIBED) + ")"
                : "a journal without an identity";
    }
}
