package kvmsim.actors.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import kvmsim.domain.engine.Lookahead.Write;
import kvmsim.domain.entity.EntityId;

/**
 * Keeps what many steps running at once do to each entity in trace order, by the places
 * {@link kvmsim.domain.engine.Lookahead} gave each write and read. A write passes two gates:
 * <em>issued</em>, once its command is in the entity's mailbox, after which the next write may be
 * sent (the mailbox keeps the order); and <em>folded</em>, once its reply is in the driver's copy
 * of the entity's state, after which the next write's reply may be folded. A write is sent only
 * after the writes before it were issued and the reads before it were done; a read is done once
 * the writes before it were folded, so it sees the entity exactly as it was at its place.
 *
 * <p>A gate opens for write n once every write before n passed it, in whatever order they passed.
 * A step that stops early lets its remaining writes and reads through so that no later step waits
 * for it forever. Waiting parks a virtual thread: locks, not monitors.
 */
final class EntityLanes {

    /** A gate of one entity: how many of its writes passed it, counting from 0 without gaps. */
    private static final class Gate {
        private final TreeSet<Long> ahead = new TreeSet<>();
        private long passed;

        void pass(long ordinal) {
            if (ordinal < passed) {
                return; // passed already (a step letting its writes through after a failure)
            }
            ahead.add(ordinal);
            while (!ahead.isEmpty() && ahead.first() == passed) {
                ahead.pollFirst();
                passed++;
            }
        }
    }

    /** A thread waiting on a lane, and what it waits for. */
    private record Waiter(BooleanSupplier ready, Condition woken) {
    }

    /**
     * One entity's gates and reads done, under one lock. Each waiter is woken alone, once what it
     * waits for holds: a VM with hundreds of steps waiting on it would otherwise wake them all at
     * every change.
     */
    private static final class Lane {
        private final ReentrantLock lock = new ReentrantLock();
        private final List<Waiter> waiting = new ArrayList<>();
        private final Gate issued = new Gate();
        private final Gate folded = new Gate();
        // reads done, by the write they come before; forgotten once that write is issued
        private final Map<Long, Long> reads = new HashMap<>();
    }

    private final Map<EntityId, Lane> lanes = new ConcurrentHashMap<>();
    private final long timeoutNanos;

    /** {@code timeout}: how long a write or read may wait for those before it (an earlier step is stuck). */
    EntityLanes(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    /** Waits until the writes before {@code at} were issued and the reads before it done. */
    void awaitSendable(EntityId id, Write at) {
        Lane l = lane(id);
        await(l, id, "sent", () -> l.issued.passed >= at.ordinal()
                && l.reads.getOrDefault(at.ordinal(), 0L) >= at.readsBefore());
    }

    /**
     * Waits until the writes before {@code at} were answered and the reads before it done: a
     * broadcast's receivers get its request from the broadcaster, not from the driver, and on a
     * cluster that path may overtake a command the driver sent earlier.
     */
    void awaitAnswered(EntityId id, Write at) {
        Lane l = lane(id);
        await(l, id, "answered", () -> l.folded.passed >= at.ordinal()
                && l.reads.getOrDefault(at.ordinal(), 0L) >= at.readsBefore());
    }

    void issued(EntityId id, long ordinal) {
        change(id, l -> {
            l.issued.pass(ordinal);
            l.reads.keySet().removeIf(w -> w < l.issued.passed);
        });
    }

    /** Waits until the writes before {@code ordinal} were folded. */
    void awaitFolded(EntityId id, long ordinal) {
        Lane l = lane(id);
        await(l, id, "answered", () -> l.folded.passed >= ordinal);
    }

    void folded(EntityId id, long ordinal) {
        change(id, l -> l.folded.pass(ordinal));
    }

    /** A read before write {@code beforeWrite} is done. */
    void read(EntityId id, long beforeWrite) {
        change(id, l -> l.reads.merge(beforeWrite, 1L, Long::sum));
    }

    private void change(EntityId id, java.util.function.Consumer<Lane> how) {
        Lane l = lane(id);
        l.lock.lock();
        try {
            how.accept(l);
            for (Iterator<Waiter> it = l.waiting.iterator(); it.hasNext();) {
                Waiter w = it.next();
                if (w.ready().getAsBoolean()) {
                    w.woken().signal();
                    it.remove();
                }
            }
        } finally {
            l.lock.unlock();
        }
    }

    private void await(Lane l, EntityId id, String what, BooleanSupplier ready) {
        l.lock.lock();
        try {
            long nanos = timeoutNanos;
            Waiter me = null;
            while (!ready.getAsBoolean()) {
                if (nanos <= 0) {
                    l.waiting.remove(me);
                    throw new IllegalStateException(id.path() + ": what came before a command to it was not " + what
                            + " in time: an earlier step is stuck");
                }
                if (me == null || !l.waiting.contains(me)) {
                    me = new Waiter(ready, l.lock.newCondition());
                    l.waiting.add(me);
                }
                nanos = me.woken().awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + id.path(), e);
        } finally {
            l.lock.unlock();
        }
    }

    private Lane lane(EntityId id) {
        return lanes.computeIfAbsent(id, k -> new Lane());
    }
}
