package kvmsim.actors.entity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Ack;
import kvmsim.domain.entity.Broadcast;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.kernel.Entities;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Event;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.journal.serialization.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
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
    private final Sharding sharding;
    private final String runId;
    private final EntityId entity;
    // the command whose reply waits on the broadcast in flight, and what it persisted: not state,
    // because after a crash nobody waits for the reply any more
    private Handle waiting;
    private List<Recorded> started = List.of();
    // the broadcast in flight: its number, and the receivers that answered, by index. A round that
    // times out asks only the others again, and each receiver's first answer is the one that goes
    // into the reply: it lists the events the receiver persisted, once
    private long broadcastRound;
    private long currentBroadcast;
    private final Map<Integer, Reply> acked = new HashMap<>();

    private KvmEntity(ActorContext<Msg> ctx, Sharding sharding, String persistenceId) {
        super(PersistenceId.ofUniqueId(persistenceId));
        this.ctx = ctx;
        this.sharding = sharding;
        this.runId = persistenceId.substring(0, persistenceId.indexOf('/'));
        this.entity = entityOf(persistenceId);
    }

    public static Behavior<Msg> create(String persistenceId, Sharding sharding) {
        return Behaviors.setup(ctx -> new KvmEntity(ctx, sharding, persistenceId));
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

    private Effect<Recorded, EntityState> onHandle(EntityState state, Handle h) {
        if (state.awaiting() != null) {
            return Effect().stash(); // one ioctl at a time: the next waits until the flush completed
        }
        if (h.expectedSeq() >= 0 && h.expectedSeq() != lastSequenceNumber(ctx)) {
            ctx.getLog().warn("{}: dropped a copy of a command already applied (journal at {}, sender expected {})",
                    entity.path(), lastSequenceNumber(ctx), h.expectedSeq());
            return Effect().none();
        }
        Decision d = Entities.decide(state, h.command());
        if (d.rejected() || d.events().isEmpty()) {
            List<Recorded> again = recorded(h.line(), d.again());
            return Effect().none().thenReply(h.replyTo(), s -> new Reply(d.errno(), s, again));
        }
        List<Recorded> recorded = recorded(h.line(), d.events());
        return Effect().persist(recorded).thenRun(s -> {
            Broadcast b = s.awaiting();
            if (b == null) {
                h.replyTo().tell(new Reply(null, s, recorded));
            } else {
                waiting = h;
                started = recorded;
                startBroadcast(b);
            }
        });
    }

    private Effect<Recorded, EntityState> onAcks(EntityState state, AcksReceived a) {
        Broadcast b = state.awaiting();
        if (b == null || a.round() != currentBroadcast) {
            return Effect().none(); // a late answer to a broadcast that already completed
        }
        acked.putAll(a.replies());
        if (acked.size() < b.to().size()) {
            ctx.getLog().warn("{}: {} of {} receivers did not answer ({}), asking them again", entity.path(),
                    b.to().size() - acked.size(), b.to().size(), a.failure());
            sendBroadcast(b);
            return Effect().none();
        }
        List<Reply> replies = new ArrayList<>();
        List<Ack> acks = new ArrayList<>();
        for (int i = 0; i < b.to().size(); i++) {
            replies.add(acked.get(i));
            acks.add(Ack.of(b.to().get(i), acked.get(i)));
        }
        acked.clear();
        Decision d = Entities.decide(state, b.completion(acks));
        List<Recorded> recorded = recorded(b.line(), d.events());
        Handle h = waiting;
        List<Recorded> before = started;
        waiting = null;
        started = List.of();
        return Effect().persist(recorded).thenRun(s -> {
            if (h != null) {
                Reply startedReply = new Reply(null, s, before);
                h.replyTo().tell(Reply.afterBroadcast(entity, startedReply, b.to(), replies,
                        new Reply(d.errno(), s, recorded)));
            }
        }).thenUnstashAll();
    }

    private void startBroadcast(Broadcast b) {
        currentBroadcast = ++broadcastRound;
        acked.clear();
        sendBroadcast(b);
    }

    // asks the receivers that have not answered yet; one AcksReceived comes back once every one of
    // those asks has answered or timed out
    private void sendBroadcast(Broadcast b) {
        long round = currentBroadcast;
        List<Integer> missing = new ArrayList<>();
        List<CompletableFuture<Reply>> asks = new ArrayList<>();
        for (int i = 0; i < b.to().size(); i++) {
            if (!acked.containsKey(i)) {
                missing.add(i);
                asks.add(sharding.ref(runId, b.to().get(i))
                        .<Reply>ask(replyTo -> new Handle(b.line(), b.request(), replyTo), KvmsimSystem.broadcastTimeout(
                                ctx.getSystem()))
                        .toCompletableFuture());
            }
        }
        CompletableFuture<AcksReceived> round0 = CompletableFuture.allOf(asks.toArray(new CompletableFuture<?>[0]))
                .handle((x, error) -> {
                    Map<Integer, Reply> answered = new HashMap<>();
                    for (int k = 0; k < asks.size(); k++) {
                        CompletableFuture<Reply> f = asks.get(k);
                        if (f.isDone() && !f.isCompletedExceptionally()) {
                            answered.put(missing.get(k), f.join());
                        }
                    }
                    return new AcksReceived(round, answered, error == null ? null : String.valueOf(error.getMessage()));
                });
        ctx.pipeToSelf(round0, (m, error) -> m != null ? m
                : new AcksReceived(round, Map.of(), String.valueOf(error.getMessage())));
    }

    private static List<Recorded> recorded(int line, List<Event> events) {
        List<Recorded> out = new ArrayList<>();
        for (Event e : events) {
            out.add(new Recorded(line, e));
        }
        return out;
    }

    @Override
    public SignalHandler<EntityState> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
            if (state.awaiting() != null) {
                startBroadcast(state.awaiting()); // recovered mid-broadcast: finish it
            }
        }).build();
    }

    @Override
    public EventHandler<EntityState, Recorded> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(Entities::evolve);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        // long-lived hosts and memslots recover from a snapshot plus at most 1000 events
        return RetentionCriteria.snapshotEvery(1000, 2);
    }
}
