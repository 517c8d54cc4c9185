package kvmsim.domain.engine;

import java.util.List;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Reply;

/** Where entities live: in memory (the reference engine) or in persistent actors (the actor engine). */
public interface Engine {

    /** Handles one command at one entity; {@code line} is the trace line its events are recorded with. */
    Reply send(int line, EntityId to, EntityCommand command);

    /** Sends to every entity at once (the actor engine asks them in parallel); replies in the order of {@code to}. */
    List<Reply> broadcast(int line, List<EntityId> to, EntityCommand command);

    /**
     * The entity's state after every command sent so far. The engine's user is every entity's only
     * sender: the actor engine folds the events of the replies it got, and asks no entity.
     */
    EntityState state(EntityId id);
}
