package kvmsim.actors.entity;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The parent of this process's persistent actors (local entities, run logs), which learns why one
 * stopped. Pekko stops an EventSourcedBehavior whose journal refused a write (a full disk, a
 * database gone) or a read during recovery; its senders would only see their asks time out, one
 * minute each, retried for minutes. A parent that watches it gets the cause at once
 * ({@link ChildFailed}): the driver and the run log read it ({@link #failure()},
 * {@link #failed(ActorRef)}) while they wait, and stop the run with it.
 * <p>
 * The watcher runs on Pekko's internal dispatcher: {@link #spawn} waits for it, and may be called
 * from an entity's own thread (a VM reaching its vCPUs), which the watcher must never wait behind.
 */
public final class JournalWatch {

    // never leaves this process: a behaviour and a future are not messages to serialize
    private record Spawn(Behavior<?> behavior, String name, String label, CompletableFuture<ActorRef<?>> spawned)
            implements NoSerializationVerificationNeeded {
    }

    private static final int SPAWN_SECONDS = 30;

    private final ActorSystem<?> system;
    private final ActorRef<Spawn> watcher;
    private final AtomicReference<RuntimeException> first = new AtomicReference<>();
    private final Map<ActorRef<?>, RuntimeException> failed = new ConcurrentHashMap<>();

    public JournalWatch(ActorSystem<?> system, String name) {
        this.system = system;
        this.watcher = system.systemActorOf(watcher(), name,
                DispatcherSelector.fromConfig("pekko.actor.internal-dispatcher"));
    }

    private Behavior<Spawn> watcher() {
        return Behaviors.setup(ctx -> {
            Map<ActorRef<?>, String> labels = new HashMap<>();
            return Behaviors.receive(Spawn.class)
                    .onMessage(Spawn.class, s -> {
                        try {
                            // a caller whose wait ran out asks again: the child it asked for may be there
                            ActorRef<?> child = ctx.getChild(s.name()).orElse(null);
                            if (child == null) {
                                // children run on the default dispatcher, as under the system guardian
                                child = ctx.spawn(s.behavior(), s.name());
                                ctx.watch(child);
                                labels.put(child, s.label());
                            }
                            s.spawned().complete(child);
                        } catch (RuntimeException e) {
                            s.spawned().completeExceptionally(e); // the caller's failure, not the watcher's
                        }
                        return Behaviors.same();
                    })
                    .onSignal(ChildFailed.class, f -> {
                        RuntimeException why = why(labels.get(f.getRef()), f.getCause());
                        failed.put(f.getRef(), why);
                        first.compareAndSet(null, why);
                        return Behaviors.same();
                    })
                    // a child that stopped by itself: nothing to report (unhandled, it would stop the watcher)
                    .onSignal(Terminated.class, t -> Behaviors.same())
                    .build();
        });
    }

    /**
     * Starts {@code behavior} as a watched child named {@code name} (unique among them), which a
     * failure reports as {@code label} (its persistence id).
     */
    @SuppressWarnings("unchecked")
    public <T> ActorRef<T> spawn(Behavior<T> behavior, String name, String label) {
        CompletableFuture<ActorRef<?>> spawned = new CompletableFuture<>();
        watcher.tell(new Spawn(behavior, name, label, spawned));
        // a second at a time: a system that stops meanwhile never answers (the watcher is gone)
        for (int second = 0; second < SPAWN_SECONDS; second++) {
            try {
                return (ActorRef<T>) spawned.get(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting " + name, e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("cannot start " + name + ": " + e.getCause(), e.getCause());
            } catch (TimeoutException e) {
                if (system.whenTerminated().isCompleted()) {
                    throw new IllegalStateException("the actor system stopped before " + name + " started");
                }
            }
        }
        throw new IllegalStateException("the actor system did not start " + name + " within " + SPAWN_SECONDS + " s");
    }

    // the journal's failure if the database or the disk said no (an SQLException or an IOException
    // in the chain); else kvmsim's own: an exception in a handler, even one Pekko reports as a
    // recovery failure ("Exception during recovery while handling ..."), is a bug
    private static RuntimeException why(String label, Throwable cause) {
        Throwable root = cause;
        for (Throwable c = cause; c != null && c.getCause() != c; c = c.getCause()) {
            if (c instanceof java.sql.SQLException || c instanceof java.io.IOException) {
                return new JournalFailed(label, cause);
            }
            root = c;
        }
        // the innermost exception is the bug; Pekko's wrapper only says where it surfaced
        return new IllegalStateException(label + " stopped on " + root, cause);
    }

    /**
     * Why the first child that stopped on a failure did ({@link JournalFailed} if its journal failed,
     * else kvmsim's own error), or null.
     */
    public RuntimeException failure() {
        return first.get();
    }

    /** How often a waiter looks at the watch. */
    public static final Duration PERIOD = Duration.ofSeconds(1);

    /**
     * Waits up to {@code limit} for {@code answer}, a {@link #PERIOD} at a time, and throws what
     * {@code stopped} reports as soon as it reports something (an actor the answer depends on stopped:
     * {@link #failure()} or {@link #failed}); {@code whom} names what is awaited if interrupted.
     */
    public static <T> T await(CompletableFuture<T> answer, Duration limit, Supplier<RuntimeException> stopped,
            String whom) throws ExecutionException, TimeoutException {
        long until = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                return answer.get(Math.min(until - System.nanoTime(), PERIOD.toNanos()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + whom, e);
            } catch (TimeoutException e) {
                RuntimeException why = stopped.get();
                if (why != null) {
                    throw why;
                }
                if (System.nanoTime() >= until) {
                    throw e;
                }
            }
        }
    }

    /** Why {@code child} stopped on a failure, or null if it did not. */
    public RuntimeException failed(ActorRef<?> child) {
        return failed.get(child);
    }
}
