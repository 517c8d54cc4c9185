package kvmsim.actors.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import kvmsim.actors.entity.JournalWatch;
import kvmsim.actors.entity.KvmEntity;
import kvmsim.actors.entity.Peers;
import kvmsim.actors.history.JournalReader;
import kvmsim.domain.engine.Engine;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Entities;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The engine of persistent actors: each command is an ask to the entity, which replies once
 * its events are in the journal. A broadcast asks every entity first and then waits for all
 * acknowledgements. The replay driver calls this from its own threads, never from an actor: one
 * per step in flight; several commands to one entity may be in flight at once, in trace order
 * (ConcurrentReplay, PlannedStep).
 *
 * <p>On a cluster a node may die with commands in flight. Each command carries the number of
 * events its entity persisted before it (the reference engine's plan knows it), and an entity
 * drops a copy that finds its journal elsewhere, so a command is never applied twice nor out of
 * order. When an answer does not come, the driver asks the entity, wherever it was recovered, how
 * far its journal goes: short of the count, commands before it are lost too and are settled first;
 * at the count, the command never arrived and is sent again; past it, the command was applied and
 * its reply is the reference engine's once the journal is checked to hold the events that reply
 * says every entity persisted (the broadcast's receivers included: an entity recovered in the
 * middle of a broadcast finishes it before it answers). Without a plan ({@link #send}, used by
 * benchmarks in one process), a reply is rebuilt from the entity's own journal, which cannot hold a
 * broadcast's receivers' answers: losing such a reply stops the run with an error, its events intact.
 */
public final class ActorEngine implements Engine {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ActorEngine.class);

    private final KvmsimSystem sys;
    private final Peers entities;
    private final JournalWatch watch;
    private final String runId;
    private final Duration timeout;
    private final Duration deadline;
    // a command whose entity keeps saying it never arrived is sent at most this many more times
    private static final int MAX_RESENDS = 5;

    // Steps run on several threads at once (ConcurrentReplay), never two on one entity: each entity's
    // entries below are written by one step at a time, and read by the steps after it.
    private final Map<EntityId, Long> persisted = new ConcurrentHashMap<>();
    // every entity's state as its replies told it: the driver is the only sender, so reading a
    // state asks nobody
    private final Map<EntityId, EntityState> known = new ConcurrentHashMap<>();
    private final Map<EntityId, RecipientRef<KvmEntity.Msg>> refs = new ConcurrentHashMap<>();
    private final AtomicLong resent = new AtomicLong();
    private final AtomicLong rebuilt = new AtomicLong();

    public ActorEngine(KvmsimSystem sys, String runId) {
        this.sys = sys;
        this.entities = sys.entities();
        this.watch = sys.journalWatch();
        this.runId = runId;
        this.timeout = KvmsimSystem.driverTimeout(sys.system());
        this.deadline = KvmsimSystem.retryDeadline(sys.system());
    }

    @Override
    public Reply send(int line, EntityId to, EntityCommand command) {
        long expected = persisted.getOrDefault(to, 0L);
        Reply r = settle(line, to, command, ask(line, to, command, expected), expected);
        account(to, r);
        return r;
    }

    @Override
    public List<Reply> broadcast(int line, List<EntityId> to, EntityCommand command) {
        List<CompletableFuture<Reply>> pending = new ArrayList<>();
        List<Long> expected = new ArrayList<>();
        for (EntityId id : to) {
            expected.add(persisted.getOrDefault(id, 0L));
            pending.add(ask(line, id, command, expected.get(expected.size() - 1)));
        }
        List<Reply> replies = new ArrayList<>();
        for (int i = 0; i < to.size(); i++) {
            Reply r = settle(line, to.get(i), command, pending.get(i), expected.get(i));
            account(to.get(i), r);
            replies.add(r);
        }
        return replies;
    }

    /**
     * Sends a command whose entity had persisted {@code expected} events before it, without waiting.
     * The reply may take as long as the retry deadline: a VM's flush waits for a dead node's vCPUs.
     * The count travels with the command: a copy that finds the journal further on is dropped, so a
     * resend that crosses its original is never applied twice.
     */
    CompletableFuture<Reply> ask(int line, EntityId to, EntityCommand command, long expected) {
        return AskPattern.<KvmEntity.Msg, Reply>ask(ref(to),
                replyTo -> new KvmEntity.Handle(line, command, replyTo, expected), deadline, sys.system().scheduler())
                .toCompletableFuture();
    }

    /**
     * What the driver knows of a command sent while others to its entity may be in flight before it
     * (ConcurrentReplay): the reference engine's reply to it, how many events each entity that reply
     * says persisted one (its own entity included) had before it, and how to wait until the commands
     * its entity gets before it were answered.
     */
    record Expected(Reply reply, Map<EntityId, Long> eventsBefore, Runnable earlierAnswered) {
    }

    /** As below, for a command sent alone to its entity: nothing to it is in flight before it. */
    Reply settle(int line, EntityId to, EntityCommand command, CompletableFuture<Reply> first, long expected) {
        return settle(line, to, command, first, expected, null);
    }

    /**
     * Waits for the reply. Each time {@code timeout} passes without one, asks the entity how far its
     * journal goes: at the driver's count the command never arrived (its node died with it) and is
     * sent again; past it, the command was applied, and the reply is awaited one more period and
     * then rebuilt from the journal. No answer to that question either means the entity is busy
     * (a broadcast in flight) or still moving to another node: keep waiting.
     *
     * <p>With commands to the same entity in flight before it ({@code plan} not null), the journal
     * may also be short of the count: those were lost with the node too, and their own senders send
     * them again; this one waits until they are answered and looks again. And past the count, later
     * commands may have been applied after this one (or, if this one persists nothing, instead of
     * it: a copy that arrives late is dropped): its reply is the reference engine's, once the
     * journals are checked to hold the events that reply says each entity persisted (a broadcast's
     * receivers included).
     */
    Reply settle(int line, EntityId to, EntityCommand command, CompletableFuture<Reply> first, long expected,
            Expected plan) {
        long giveUp = System.nanoTime() + deadline.toNanos();
        List<CompletableFuture<Reply>> copies = new ArrayList<>(List.of(first));
        while (true) {
            Reply r = await(copies, to);
            if (r != null) {
                return r;
            }
            if (System.nanoTime() > giveUp) {
                throw new IllegalStateException(to.path() + " did not answer for " + deadline.toSeconds()
                        + " s (kvmsim.retry-deadline)");
            }
            KvmEntity.EntityStatus status = status(to);
            if (status != null && plan != null && status.lastSequenceNr() < expected) {
                plan.earlierAnswered().run();
                status = status(to);
            }
            if (status == null || (plan != null && status.lastSequenceNr() < expected)) {
                continue;
            }
            if (status.lastSequenceNr() == expected) {
                if (copies.size() > MAX_RESENDS) {
                    throw new IllegalStateException(to.path() + " answers how far its journal goes but not the "
                            + "command, sent " + copies.size() + " times: it fails to handle it");
                }
                LOG.warn("{}: no answer within {} s and the command never arrived (its node died?): sending it again",
                        to.path(), timeout.toSeconds());
                copies.add(ask(line, to, command, expected));
                resent.incrementAndGet();
                continue;
            }
            r = await(copies, to);
            if (r == null) {
                LOG.warn("{}: the command was applied but its reply was lost: {}", to.path(), plan != null
                        ? "taking the reference engine's reply once the journal holds its events"
                        : "rebuilding it from the journal");
                r = plan != null ? plannedFromJournal(line, to, plan) : rebuild(to, expected, status);
                rebuilt.incrementAndGet();
            }
            return r;
        }
    }

    // the first reply of any copy within one timeout period; null if none came (or every ask
    // failed: the reply is lost). One copy is waited on directly; several hand their replies to one
    // future on the actor system's dispatcher (a callback chained without an executor would run on
    // the common pool, which on 2 cores starts a thread per callback)
    private Reply await(List<CompletableFuture<Reply>> copies, EntityId to) {
        CompletableFuture<Reply> any = copies.size() == 1 ? copies.get(0) : new CompletableFuture<>();
        if (copies.size() > 1) {
            copies.forEach(c -> c.whenCompleteAsync((r, e) -> {
                if (r != null) {
                    any.complete(r);
                }
            }, sys.system().executionContext()));
        }
        long until = System.nanoTime() + timeout.toNanos();
        try {
            return watched(any, timeout, to);
        } catch (ExecutionException e) {
            // an ask to an actor that stopped fails at once: if its journal failed, say so; else
            // wait out the period, so that the caller's next look is not a busy loop
            throwIfJournalFailed();
            sleepNanos(Math.min(until - System.nanoTime(), JournalWatch.PERIOD.toNanos()));
            throwIfJournalFailed();
            return null;
        } catch (TimeoutException e) {
            return null;
        }
    }

    // waits for an entity's answer, stopping the run at once if an entity stopped (JournalWatch)
    private <T> T watched(CompletableFuture<T> answer, Duration limit, EntityId from)
            throws ExecutionException, TimeoutException {
        return JournalWatch.await(answer, limit, watch::failure, from.path());
    }

    private static void sleepNanos(long nanos) {
        try {
            if (nanos > 0) {
                TimeUnit.NANOSECONDS.sleep(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for an entity", e);
        }
    }

    // the run cannot go on once an entity stopped (its journal failed): every step in flight stops with it
    private void throwIfJournalFailed() {
        RuntimeException failed = watch.failure();
        if (failed != null) {
            throw failed;
        }
    }

    private KvmEntity.EntityStatus status(EntityId to) {
        try {
            return watched(AskPattern.<KvmEntity.Msg, KvmEntity.EntityStatus>ask(ref(to), KvmEntity.Status::new,
                    timeout, sys.system().scheduler()).toCompletableFuture(), timeout.plusSeconds(1), to);
        } catch (ExecutionException e) {
            throwIfJournalFailed();
            return null;
        } catch (TimeoutException e) {
            return null;
        }
    }

    private static final String LOST_BROADCAST_REPLY = " applied a command that started a broadcast, and its node died"
            + " before the reply came back; without the reference engine's plan that reply (it holds the receivers'"
            + " answers) cannot be rebuilt from the journal, so the run stops here (its events are all in the journal)";

    // the command was applied and its reply lost, with nothing else in flight to the entity: the
    // events it persisted are the journal's after the driver's count (the whole journal is folded,
    // to check the entity's state against the one it reported)
    private Reply rebuild(EntityId to, long expected, KvmEntity.EntityStatus status) {
        List<Recorded> events = new ArrayList<>();
        EntityState state = Entities.initial(to);
        for (JournalReader.Stored s : new JournalReader(sys.system()).events(runId + "/" + to.path())) {
            Recorded r = (Recorded) s.event();
            state = Entities.evolve(state, r);
            if (s.sequenceNr() <= expected) {
                continue;
            }
            events.add(r);
            if (state.awaiting() != null) {
                throw new IllegalStateException(to.path() + LOST_BROADCAST_REPLY);
            }
        }
        if (!state.equals(status.state()) || events.size() != status.lastSequenceNr() - expected) {
            throw new IllegalStateException(to.path() + ": the journal and the entity disagree after a lost reply");
        }
        return new Reply(null, events);
    }

    // the command was applied (or overtaken, if it persists nothing) and its reply lost, with other
    // commands to the entity in flight, or a broadcast's receivers' answers in it: the reference
    // engine's reply, once every journal holds the events it says its entity persisted, right after
    // the plan's count for that entity
    private Reply plannedFromJournal(int line, EntityId to, Expected plan) {
        checkApplied(line, to, plan.reply(), plan.eventsBefore(),
                "the reference engine's reply to the command whose reply was lost");
        return plan.reply();
    }

    // the journal of {@code id} holds {@code events} from sequence number {@code from} on; else the run stops
    private void checkHolds(JournalReader reader, int line, EntityId id, long from, List<Recorded> events,
            String whose) {
        List<Recorded> held = new ArrayList<>();
        if (!events.isEmpty()) {
            for (JournalReader.Stored s : reader.events(runId + "/" + id.path(), from, from + events.size() - 1)) {
                held.add((Recorded) s.event());
            }
        }
        if (!held.equals(events)) {
            throw new IllegalStateException("line " + line + ": " + id.path() + " holds " + held + " from sequence "
                    + "number " + from + ", where " + whose + " has " + events);
        }
    }

    /**
     * How many events each entity's journal holds once every broadcast it was recovered in the
     * middle of has completed: an entity answers {@link KvmEntity.Status} only then, and asking
     * starts it, so that it recovers. What {@code replay --resume} asks of every entity of the run
     * before it goes on.
     */
    public Map<EntityId, Long> journalCounts(Collection<EntityId> ids) {
        Map<EntityId, CompletableFuture<KvmEntity.EntityStatus>> asks = new LinkedHashMap<>();
        for (EntityId id : ids) {
            asks.put(id, AskPattern.<KvmEntity.Msg, KvmEntity.EntityStatus>ask(ref(id), KvmEntity.Status::new,
                    deadline, sys.system().scheduler()).toCompletableFuture());
        }
        Map<EntityId, Long> out = new HashMap<>();
        for (Map.Entry<EntityId, CompletableFuture<KvmEntity.EntityStatus>> a : asks.entrySet()) {
            try {
                // an entity that cannot recover (its journal unreadable) or finish a broadcast stops the resume at once
                out.put(a.getKey(), watched(a.getValue(), deadline.plusSeconds(1), a.getKey()).lastSequenceNr());
            } catch (ExecutionException | TimeoutException e) {
                throwIfJournalFailed();
                throw new IllegalStateException(a.getKey().path() + " did not say how far its journal goes within "
                        + deadline.toSeconds() + " s (kvmsim.retry-deadline)", e);
            }
        }
        return out;
    }

    /**
     * {@code replay --resume}: a command the journal holds already is not sent again, and its reply
     * is the plan's; this checks that the journal holds the plan's events for it, entity by entity
     * after {@code before} events.
     */
    void checkApplied(int line, EntityId to, Reply planned, Map<EntityId, Long> before) {
        checkApplied(line, to, planned, before, "this trace's plan");
    }

    private void checkApplied(int line, EntityId to, Reply planned, Map<EntityId, Long> before, String whose) {
        Map<EntityId, List<Recorded>> want = new LinkedHashMap<>();
        for (Emitted e : planned.emitted(to)) {
            want.computeIfAbsent(e.entity(), k -> new ArrayList<>()).add(e.recorded());
        }
        JournalReader reader = new JournalReader(sys.system());
        want.forEach((id, events) -> checkHolds(reader, line, id, before.get(id) + 1, events, whose));
    }

    /** How long one command may take, across node failures ({@code kvmsim.retry-deadline}). */
    Duration retryDeadline() {
        return deadline;
    }

    /** Commands sent again because they never arrived (their node died with them). */
    public long resent() {
        return resent.get();
    }

    /** Replies rebuilt from the journal because the command was applied and the reply lost. */
    public long rebuilt() {
        return rebuilt.get();
    }

    @Override
    public EntityState state(EntityId id) {
        return known.getOrDefault(id, Entities.initial(id));
    }

    private RecipientRef<KvmEntity.Msg> ref(EntityId to) {
        return refs.computeIfAbsent(to, id -> entities.ref(runId, id));
    }

    /** Folds a reply's events into the driver's copy of each entity that persisted them. */
    void account(EntityId to, Reply r) {
        for (Emitted e : r.emitted(to)) {
            persisted.merge(e.entity(), 1L, Long::sum);
            known.put(e.entity(), Entities.evolve(state(e.entity()), e.recorded()));
        }
    }
}
