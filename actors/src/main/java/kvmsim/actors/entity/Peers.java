package kvmsim.actors.entity;

import kvmsim.domain.entity.EntityId;
import org.apache.pekko.actor.typed.RecipientRef;

/**
 * How the driver and a broadcasting entity reach an entity: in this process ({@link LocalEntities}),
 * through Cluster Sharding ({@link Sharding}), or a test's probes.
 */
@FunctionalInterface
public interface Peers {

    RecipientRef<KvmEntity.Msg> ref(String runId, EntityId id);
}
