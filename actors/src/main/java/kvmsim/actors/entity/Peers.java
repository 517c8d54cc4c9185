package kvmsim.actors.entity;

import kvmsim.domain.entity.EntityId;
import org.apache.pekko.actor.typed.RecipientRef;

/** How an entity reaches the receivers of its broadcasts: Cluster Sharding, or a test's probes. */
@FunctionalInterface
public interface Peers {

    RecipientRef<KvmEntity.Msg> ref(String runId, EntityId id);
}
