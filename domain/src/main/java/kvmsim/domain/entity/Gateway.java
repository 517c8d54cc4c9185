package kvmsim.domain.entity;

import java.util.List;

/**
 * How the kernel's coordinating code reaches entities. The reference engine decides and evolves
 * in memory; the actor engine asks the entity's persistent actor, which persists before replying.
 * Either way a command's events are durable (or at least applied) before {@code send} returns.
 */
public interface Gateway {

    Reply send(EntityId to, EntityCommand command);

    /** Sends the same command to every entity; replies in the order of {@code to}. */
    List<Reply> broadcast(List<EntityId> to, EntityCommand command);
}
