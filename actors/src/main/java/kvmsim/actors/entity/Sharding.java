package kvmsim.actors.entity;

import java.util.EnumMap;
import java.util.Map;
import kvmsim.domain.entity.EntityId;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/** The four entity types placed with Cluster Sharding; the sharded entity id is the persistence id. */
public final class Sharding implements Peers {

    /** The cluster role of the nodes that host entities. */
    public static final String ROLE = "entities";

    private final ClusterSharding sharding;
    private final Map<EntityId.Kind, EntityTypeKey<KvmEntity.Msg>> keys = new EnumMap<>(EntityId.Kind.class);

    public Sharding(ActorSystem<?> system) {
        this.sharding = ClusterSharding.get(system);
        for (EntityId.Kind kind : EntityId.Kind.values()) {
            EntityTypeKey<KvmEntity.Msg> key = EntityTypeKey.create(KvmEntity.Msg.class, kind.prefix);
            keys.put(kind, key);
            // only nodes with the role host entities; a driver without it gets a proxy
            sharding.init(Entity.of(key, ctx -> KvmEntity.create(ctx.getEntityId(), this)).withRole(ROLE));
        }
    }

    /** The sharding type of an entity kind: for asking a region which entities it hosts. */
    public EntityTypeKey<KvmEntity.Msg> typeKey(EntityId.Kind kind) {
        return keys.get(kind);
    }

    @Override
    public EntityRef<KvmEntity.Msg> ref(String runId, EntityId id) {
        return sharding.entityRefFor(keys.get(id.kind()), runId + "/" + id.path());
    }
}
