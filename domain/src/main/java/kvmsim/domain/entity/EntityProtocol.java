package kvmsim.domain.entity;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvmsim.domain.abi.Errno;

/**
 * What an entity does with each thing that reaches it, whichever engine runs it: decide, persist,
 * reply; or, when the persisted events leave it waiting on a broadcast (a VM's remote TLB flush),
 * ask every receiver, collect their answers, persist the completion and only then reply. The
 * reference engine follows these steps in one thread; the actor engine maps each to a Pekko effect.
 * Both therefore treat every command the same way, down to which answers they persist.
 */
public final class EntityProtocol {

    private EntityProtocol() {
    }

    /**
     * A command as it reaches an entity: its trace line, and the number of events the sender saw
     * the entity persist ({@code -1}: not checked, as for a broadcast's request, which receivers
     * answer idempotently).
     */
    public record Delivery(int line, EntityCommand command, long expectedSeq) {

        public Delivery(int line, EntityCommand command) {
            this(line, command, -1);
        }
    }

    /** What the entity does with a delivery. */
    public sealed interface Reaction permits Stash, Drop, Answer, Persist {
    }

    /** Busy with a broadcast: one ioctl at a time, so the delivery waits until it completed. */
    public record Stash() implements Reaction {
    }

    /**
     * The journal is past what the sender expected: this is a copy of a command already applied
     * (a resend that crossed its original), so it is dropped without a reply.
     */
    public record Drop(long journalAt, long expected) implements Reaction {
    }

    /** Nothing to persist: answer at once. */
    public record Answer(Reply reply) implements Reaction {
    }

    /** Persist these events (all of them or none), then see {@link #afterPersist}. */
    public record Persist(List<Recorded> events) implements Reaction {

        public Persist {
            events = List.copyOf(events);
        }
    }

    /** The reaction to {@code d} of an entity in {@code state} whose journal holds {@code lastSeq} events. */
    public static Reaction onCommand(Decider model, EntityState state, long lastSeq, Delivery d) {
        if (state.awaiting() != null) {
            return new Stash();
        }
        if (d.expectedSeq() >= 0 && d.expectedSeq() != lastSeq) {
            return new Drop(lastSeq, d.expectedSeq());
        }
        Decision decision = model.decide(state, d.command());
        if (decision.rejected()) {
            return new Answer(Reply.rejected(decision.errno()));
        }
        if (decision.events().isEmpty()) {
            return new Answer(new Reply(null, recorded(d.line(), decision.again())));
        }
        return new Persist(recorded(d.line(), decision.events()));
    }

    /** What follows a {@link Persist} once its events are durable. */
    public sealed interface Then permits Answered, Broadcasting {
    }

    public record Answered(Reply reply) implements Then {
    }

    /** The events left the entity waiting on a broadcast: ask every receiver in {@code round}. */
    public record Broadcasting(Round round) implements Then {
    }

    /** {@code after}: the state the persisted events led to. */
    public static Then afterPersist(EntityState after, List<Recorded> persisted) {
        Broadcast b = after.awaiting();
        return b == null ? new Answered(new Reply(null, persisted)) : new Broadcasting(Round.start(b, persisted));
    }

    /**
     * A broadcast in flight: the answers of the receivers that answered so far, by their index in
     * {@link Broadcast#to()}, and what the command that started it persisted. Each receiver's
     * first answer is the one kept: it lists the events the receiver persisted, once. An entity
     * recovered mid-broadcast starts a round with nothing persisted and nobody to answer.
     */
    public record Round(Broadcast broadcast, List<Recorded> started, Map<Integer, Reply> answered) {

        public Round {
            started = List.copyOf(started);
            answered = Map.copyOf(answered);
        }

        public static Round start(Broadcast b, List<Recorded> started) {
            return new Round(b, started, Map.of());
        }

        /** The receivers (by index) still to ask. */
        public List<Integer> missing() {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < broadcast.to().size(); i++) {
                if (!answered.containsKey(i)) {
                    out.add(i);
                }
            }
            return out;
        }

        /** This round with more answers; a receiver that answered before keeps its first answer. */
        public Round with(Map<Integer, Reply> more) {
            Map<Integer, Reply> all = new TreeMap<>(more);
            all.putAll(answered);
            return new Round(broadcast, started, all);
        }

        public boolean complete() {
            return answered.size() == broadcast.to().size();
        }

        /** The receivers' answers in receiver order; the round must be complete. */
        public List<Reply> replies() {
            List<Reply> out = new ArrayList<>();
            for (int i = 0; i < broadcast.to().size(); i++) {
                out.add(answered.get(i));
            }
            return out;
        }
    }

    /** The completion of a broadcast: its errno and the events to persist, at the broadcast's line. */
    public record Completion(Errno errno, List<Recorded> events) {

        public Completion {
            events = List.copyOf(events);
        }
    }

    /** Every receiver answered: the waiting entity, in {@code state}, decides the completion. */
    public static Completion complete(Decider model, EntityState state, Round round) {
        Broadcast b = round.broadcast();
        List<Ack> acks = new ArrayList<>();
        List<Reply> replies = round.replies();
        for (int i = 0; i < b.to().size(); i++) {
            acks.add(Ack.of(b.to().get(i), replies.get(i)));
        }
        Decision d = model.decide(state, b.completion(acks));
        return new Completion(d.errno(), recorded(b.line(), d.events()));
    }

    /**
     * The answer to the command that started the broadcast, once the completion is durable: every
     * event the command caused, in order (its own, each receiver's, the completion's).
     */
    public static Reply replyAfterBroadcast(EntityId self, Round round, Completion completion) {
        List<Emitted> trail = new ArrayList<>();
        List<Recorded> own = new ArrayList<>(round.started());
        round.started().forEach(r -> trail.add(new Emitted(self, r)));
        List<Reply> replies = round.replies();
        for (int i = 0; i < replies.size(); i++) {
            trail.addAll(replies.get(i).emitted(round.broadcast().to().get(i)));
        }
        completion.events().forEach(r -> trail.add(new Emitted(self, r)));
        own.addAll(completion.events());
        return new Reply(completion.errno(), own, trail);
    }

    private static List<Recorded> recorded(int line, List<Event> events) {
        List<Recorded> out = new ArrayList<>();
        for (Event e : events) {
            out.add(new Recorded(line, e));
        }
        return out;
    }
}
