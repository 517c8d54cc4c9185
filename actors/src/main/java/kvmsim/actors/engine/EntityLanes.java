package kvmsim.actors.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import kvmsim.domain.entity.EntityId;

/**
 * Keeps the commands of many steps in flight at once in trace order at each entity, by the
 * ordinals {@link kvmsim.domain.engine.Lookahead} gave its writes. A write passes two gates:
 * <em>issued</em>, once its command is in the entity's mailbox, after which the next write may be
 * sent (the mailbox keeps the order); and <em>answered</em>, once its reply is back. A broadcast's
 * request reaches its receivers from the broadcaster, not from the driver: a command that starts
 * one waits until its receivers answered what they got before, and their writes for it pass both
 * gates when it is answered.
 *
 * <p>A gate opens for write n once every write before n passed it, in whatever order they passed.
 * A step that stops early lets its remaining writes through so that no later step waits for it
 * forever. Each waiter is woken alone, once what it waits for holds (a busy VM may have hundreds
 * of steps waiting on it). Waiting parks a virtual thread: locks, not monitors.
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

    /** One entity's gates, under one lock. */
    private static final class Lane {
        private final ReentrantLock lock = new ReentrantLock();
        private final List<Waiter> waiting = new ArrayList<>();
        private final Gate issued = new Gate();
        private final Gate answered = new Gate();
    }

    private final Map<EntityId, Lane> lanes = new ConcurrentHashMap<>();
    private final long timeoutNanos;

    /** {@code timeout}: how long a write may wait for those before it (an earlier step is stuck). */
    EntityLanes(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    /** Waits until the writes before {@code ordinal} were issued. */
    void awaitIssued(EntityId id, long ordinal) {
        Lane l = lane(id);
        await(l, id, "sent", () -> l.issued.passed >= ordinal);
    }

    /** Waits until the writes before {@code ordinal} were answered. */
    void awaitAnswered(EntityId id, long ordinal) {
        Lane l = lane(id);
        await(l, id, "answered", () -> l.answered.passed >= ordinal);
    }

    void issued(EntityId id, long ordinal) {
        change(id, l -> l.issued.pass(ordinal));
    }

    void answered(EntityId id, long ordinal) {
        change(id, l -> l.answered.pass(ordinal));
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
                    throw new IllegalStateException(id.path() + ": the commands before one to it were not " + what
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
