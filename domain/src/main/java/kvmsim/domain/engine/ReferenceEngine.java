package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Ack;
import kvmsim.domain.entity.Broadcast;
import kvmsim.domain.kernel.Entities;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Reply;

/**
 * One thread, in memory: the oracle the actor engine is tested against. A command that starts a
 * broadcast is answered only after every receiver acknowledged and the completion was handled, as
 * in the actor engine, but synchronously and in receiver order.
 */
public final class ReferenceEngine implements Engine {

    private final Map<EntityId, EntityState> states = new HashMap<>();

    @Override
    public Reply send(int line, EntityId to, EntityCommand command) {
        Reply started = handle(line, to, command);
        Broadcast b = started.state().awaiting();
        if (b == null) {
            return started;
        }
        List<Reply> acks = new ArrayList<>();
        List<Ack> ackList = new ArrayList<>();
        for (EntityId receiver : b.to()) {
            Reply r = send(b.line(), receiver, b.request());
            acks.add(r);
            ackList.add(Ack.of(receiver, r));
        }
        Reply completed = handle(b.line(), to, b.completion(ackList));
        return Reply.afterBroadcast(to, started, b.to(), acks, completed);
    }

    private Reply handle(int line, EntityId to, EntityCommand command) {
        EntityState s = states.computeIfAbsent(to, Entities::initial);
        Entities.Handled h = Entities.handle(s, command, line);
        states.put(to, h.state());
        return h.reply();
    }

    @Override
    public List<Reply> broadcast(int line, List<EntityId> to, EntityCommand command) {
        List<Reply> replies = new ArrayList<>();
        for (EntityId id : to) {
            replies.add(send(line, id, command));
        }
        return replies;
    }

    public EntityState state(EntityId id) {
        return states.getOrDefault(id, Entities.initial(id));
    }
}
