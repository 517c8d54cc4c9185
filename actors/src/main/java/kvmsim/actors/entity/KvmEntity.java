package kvmsim.actors.entity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.domain.entity.Broadcast;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityProtocol.Answer;
import kvmsim.domain.entity.EntityProtocol.Answered;
import kvmsim.domain.entity.EntityProtocol.Broadcasting;
import kvmsim.domain.entity.EntityProtocol.Completion;
import kvmsim.domain.entity.EntityProtocol.Delivery;
import kvmsim.domain.entity.EntityProtocol.Drop;
import kvmsim.domain.entity.EntityProtocol.Persist;
import kvmsim.domain.entity.EntityProtocol.Round;
import kvmsim.domain.entity.EntityProtocol.Stash;
import kvmsim.domain.entity.EntityProtocol;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Entities;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.journal.serialization.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One host, VM, vCPU or memslot of one run, as a persistent actor. It is thin on purpose: the
 * domain's decider says what happens, this persists the events and replies after they are durable.
 * Its persistence id is {@code <run>/<kind>/<key>}, e.g. {@code r1/vcpu/vm0/0}.
 *
 * <p>When a decision leaves the entity waiting on a broadcast (a VM's remote TLB flush), the
 * entity sends the request to every receiver through Cluster Sharding, stashes whatever else
 * arrives, and answers the command that started it only after every receiver acknowledged and the
 * completion is persisted. Receivers that do not answer within {@code kvmsim.broadcast-timeout}
 * (their node died) are asked again until they answer from wherever they were recovered. An entity
 * recovered mid-broadcast (its state still says it waits) sends the request again. A receiver asked
 * again for a request it already handled acts no more and answers as it did then.
 */
public final class KvmEntity extends EventSourcedBehavior<KvmEntity.Msg, Recorded, EntityState> {

    /** What a kvmsim entity understands. */
    public sealed interface Msg extends CborSerializable {
    }

    /**
     * A domain command from a trace line, answered with a Reply. {@code expectedSeq} is the number
     * of events the sender knows the entity persisted: a command that finds the journal elsewhere
     * is a copy of one already applied (a resend that crossed the original) and is dropped without
     * a reply; the sender then learns from {@link Status} that it was applied. -1: not checked (a
     * broadcast's request, which receivers answer idempotently).
     */
    public record Handle(int line, EntityCommand command, ActorRef<Reply> replyTo, long expectedSeq) implements Msg {

        public Handle(int line, EntityCommand command, ActorRef<Reply> replyTo) {
            this(line, command, replyTo, -1);
        }
    }

    /**
     * One round of a broadcast came back: the replies of the receivers that answered, by their
     * index in the broadcast's receiver list, and why the others did not ({@code failure}, or null).
     * {@code round} ties it to the broadcast it belongs to: a late round of an earlier one is dropped.
     */
    public record AcksReceived(long round, Map<Integer, Reply> replies, String failure) implements Msg {
        public AcksReceived {
            replies = Map.copyOf(replies);
        }
    }

    /**
     * How far the entity's journal goes: what a driver whose command went unanswered (its node
     * died) asks, to learn whether the command was applied before it resends it. Answered once no
     * broadcast is in flight, so the answer is final.
     */
    public record Status(ActorRef<EntityStatus> replyTo) implements Msg {
    }

    /** The entity's last persisted sequence number and its state. */
    public record EntityStatus(long lastSequenceNr, EntityState state) implements CborSerializable {
    }

    private final ActorContext<Msg> ctx;
    private final Peers peers;
    private final String runId;
    private final EntityId entity;
    // the command whose reply waits on the broadcast in flight, and the round's answers so far:
    // not state, because after a crash nobody waits for the reply any more
    private Handle waiting;
    private Round round;
    // rounds are numbered so that a late answer of an earlier broadcast is dropped
    private long roundNumber;

    private KvmEntity(ActorContext<Msg> ctx, Peers peers, String persistenceId) {
        super(PersistenceId.ofUniqueId(persistenceId));
        this.ctx = ctx;
        this.peers = peers;
        this.runId = persistenceId.substring(0, persistenceId.indexOf('/'));
        this.entity = entityOf(persistenceId);
    }

    /** The entity {@code <run>/<kind>/<key>}, reaching its broadcasts' receivers through {@code peers}. */
    public static Behavior<Msg> create(String persistenceId, Peers peers) {
        return Behaviors.setup(ctx -> new KvmEntity(ctx, peers, persistenceId));
    }

    /** {@code r1/vcpu/vm0/0} -> {@code vcpu/vm0/0}. */
    static EntityId entityOf(String persistenceId) {
        return EntityId.parse(persistenceId.substring(persistenceId.indexOf('/') + 1));
    }

    @Override
    public EntityState emptyState() {
        return Entities.initial(entity);
    }

    @Override
    public CommandHandler<Msg, Recorded, EntityState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Handle.class, this::onHandle)
                .onCommand(AcksReceived.class, this::onAcks)
                .onCommand(Status.class, (state, st) -> state.awaiting() != null ? Effect().stash()
                        : Effect().none().thenReply(st.replyTo(), s -> new EntityStatus(lastSequenceNumber(ctx), s)))
                .build();
    }

    // EntityProtocol.onCommand, as Pekko effects
    private Effect<Recorded, EntityState> onHandle(EntityState state, Handle h) {
        Delivery d = new Delivery(h.line(), h.command(), h.expectedSeq());
        return switch (EntityProtocol.onCommand(Entities.DECIDER, state, lastSequenceNumber(ctx), d)) {
            case Stash s -> Effect().stash(); // one ioctl at a time: the next waits until the flush completed
            case Drop drop -> {
                ctx.getLog().warn("{}: dropped a copy of a command already applied (journal at {}, sender expected {})",
                        entity.path(), drop.journalAt(), drop.expected());
                yield Effect().none();
            }
            case Answer a -> Effect().none().thenReply(h.replyTo(), s -> a.reply());
            // EffectBuilder.thenRun: the actor runs it on its own dispatcher once the events are
            // written, not a callback on a CompletionStage
            case Persist p -> Effect().persist(p.events()).thenRun(s -> {
                switch (EntityProtocol.afterPersist(s, p.events())) {
                    case Answered a -> h.replyTo().tell(a.reply());
                    case Broadcasting b -> {
                        waiting = h;
                        startRound(b.round());
                    }
                }
            });
        };
    }

    private Effect<Recorded, EntityState> onAcks(EntityState state, AcksReceived a) {
        if (state.awaiting() == null || round == null || a.round() != roundNumber) {
            return Effect().none(); // a late answer to a broadcast that already completed
        }
        round = round.with(a.replies());
        if (!round.complete()) {
            ctx.getLog().warn("{}: {} of {} receivers did not answer ({}), asking them again", entity.path(),
                    round.missing().size(), round.broadcast().to().size(), a.failure());
            askMissing();
            return Effect().none();
        }
        Round done = round;
        Handle h = waiting;
        round = null;
        waiting = null;
        Completion c = EntityProtocol.complete(Entities.DECIDER, state, done);
        // as in onHandle: an Effect's side effect, run by the actor after the write
        return Effect().persist(c.events()).thenRun(s -> {
            if (h != null) {
                h.replyTo().tell(EntityProtocol.replyAfterBroadcast(entity, done, c));
            }
        }).thenUnstashAll();
    }

    private void startRound(Round r) {
        round = r;
        roundNumber++;
        askMissing();
    }

    // asks the receivers that have not answered yet; one AcksReceived comes back once every one of
    // those asks has answered or timed out
    private void askMissing() {
        long number = roundNumber;
        Broadcast b = round.broadcast();
        List<Integer> missing = round.missing();
        List<CompletableFuture<Reply>> asks = new ArrayList<>();
        for (int i : missing) {
            asks.add(AskPattern.<Msg, Reply>ask(peers.ref(runId, b.to().get(i)),
                    replyTo -> new Handle(b.line(), b.request(), replyTo),
                    KvmsimSystem.broadcastTimeout(ctx.getSystem()), ctx.getSystem().scheduler())
                    .toCompletableFuture());
        }
        // the answers are gathered on the actor's own dispatcher (handleAsync names it), then
        // pipeToSelf hands them to the actor: no thread of its own, nothing on the common pool
        CompletableFuture<AcksReceived> all = CompletableFuture.allOf(asks.toArray(new CompletableFuture<?>[0]))
                .handleAsync((x, error) -> {
                    Map<Integer, Reply> answered = new HashMap<>();
                    for (int k = 0; k < asks.size(); k++) {
                        CompletableFuture<Reply> f = asks.get(k);
                        if (f.isDone() && !f.isCompletedExceptionally()) {
                            answered.put(missing.get(k), f.join());
                        }
                    }
                    return new AcksReceived(number, answered, error == null ? null : String.valueOf(error.getMessage()));
                }, ctx.getExecutionContext());
        ctx.pipeToSelf(all, (m, error) -> m != null ? m
                : new AcksReceived(number, Map.of(), String.valueOf(error.getMessage())));
    }

    @Override
    public SignalHandler<EntityState> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
            if (state.awaiting() != null) {
                startRound(Round.start(state.awaiting(), List.of())); // recovered mid-broadcast: finish it
            }
        }).build();
    }

    @Override
    public EventHandler<EntityState, Recorded> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(Entities::evolve);
    }

    @Override
    public SnapshotAdapter<EntityState> snapshotAdapter() {
        return new SnapshotAdapter<>() {
            @Override
            public Object toJournal(EntityState state) {
                return state;
            }

            // a memslot snapshot from before a huge SPTE was one entry holds it under every 4K gfn
            @Override
            public EntityState fromJournal(Object from) {
                return from instanceof MemslotState m ? m.compacted() : (EntityState) from;
            }
        };
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        // long-lived hosts and memslots recover from a snapshot plus at most 1000 events
        return RetentionCriteria.snapshotEvery(1000, 2);
    }
}
