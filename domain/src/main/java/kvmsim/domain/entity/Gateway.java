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

    /**
     * The entity's state after every command sent so far: the caller is every entity's only
     * sender, so it folds their replies itself and reading costs no message. An entity that never
     * persisted anything is in its initial state.
     */
    EntityState state(EntityId id);

    /**
     * A broadcast sent as one command after the other, in receiver order: how a gateway that
     * watches each command (planning, exploring) delivers one.
     */
    static List<Reply> oneByOne(Gateway g, List<EntityId> to, EntityCommand command) {
        List<Reply> replies = new java.util.ArrayList<>();
        for (EntityId id : to) {
            replies.add(g.send(id, command));
        }
        return replies;
    }
}
