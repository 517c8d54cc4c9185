package kvmsim.actors.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kvmsim.actors.entity.KvmEntity;
import kvmsim.actors.entity.Sharding;
import kvmsim.domain.common.EntityId;
import kvmsim.domain.engine.Engine;
import kvmsim.domain.kernel.EntityCommand;
import kvmsim.domain.kernel.Reply;

/**
 * The engine of persistent actors: each command is an ask to the sharded entity, which replies once
 * its events are in the journal. A broadcast asks every entity first and then waits for all
 * acknowledgements. The replay driver calls this from its own thread, never from an actor.
 */
public final class ActorEngine implements Engine {

    private static final Duration TIMEOUT = KvmsimSystem.askTimeout();

    private final Sharding sharding;
    private final String runId;

    public ActorEngine(Sharding sharding, String runId) {
        this.sharding = sharding;
        this.runId = runId;
    }

    @Override
    public Reply send(int line, EntityId to, EntityCommand command) {
        return await(ask(line, to, command));
    }

    @Override
    public List<Reply> broadcast(int line, List<EntityId> to, EntityCommand command) {
        List<CompletableFuture<Reply>> pending = new ArrayList<>();
        for (EntityId id : to) {
            pending.add(ask(line, id, command));
        }
        List<Reply> replies = new ArrayList<>();
        for (CompletableFuture<Reply> f : pending) {
            replies.add(await(f));
        }
        return replies;
    }

    private CompletableFuture<Reply> ask(int line, EntityId to, EntityCommand command) {
        return sharding.ref(runId, to)
                .<Reply>ask(replyTo -> new KvmEntity.Handle(line, command, replyTo), TIMEOUT)
                .toCompletableFuture();
    }

    private static Reply await(CompletableFuture<Reply> f) {
        try {
            return f.get(TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for an entity", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("an entity did not answer: " + e.getMessage(), e);
        }
    }
}
