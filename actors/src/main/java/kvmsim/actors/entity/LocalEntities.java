package kvmsim.actors.entity;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import kvmsim.domain.entity.EntityId;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The entities of a replay that runs in this process alone: each one a persistent actor started on
 * first use and kept for the life of the system, reached by its own ActorRef. No remoting and no
 * Cluster Sharding stand between the driver and an entity, nor between a VM and its vCPUs: a plain
 * replay pays for neither (a one-node cluster took a second to form, and every message went through
 * a shard region). The actors, their persistence ids and their journal rows are the same as on a
 * cluster ({@link Sharding}).
 */
public final class LocalEntities implements Peers {

    private final JournalWatch watch;
    private final Map<String, ActorRef<KvmEntity.Msg>> started = new ConcurrentHashMap<>();

    /** Entities started under {@code watch}, which learns why one stopped (its journal failed). */
    public LocalEntities(JournalWatch watch) {
        this.watch = watch;
    }

    @Override
    public ActorRef<KvmEntity.Msg> ref(String runId, EntityId id) {
        // computeIfAbsent: two steps that reach a new entity at once start it once
        return started.computeIfAbsent(runId + "/" + id.path(), persistenceId -> watch.spawn(
                KvmEntity.create(persistenceId, this), actorName(persistenceId), persistenceId));
    }

    // an actor name may not hold '/': the persistence id, escaped
    private static String actorName(String persistenceId) {
        return "entity-" + URLEncoder.encode(persistenceId, StandardCharsets.UTF_8);
    }
}
