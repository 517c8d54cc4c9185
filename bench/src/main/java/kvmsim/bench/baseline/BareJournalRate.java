package kvmsim.bench.baseline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Events per second of {@link BareCounter}s on a system's journal: {@link #ENTITIES} of them,
 * started and recovered before the clock starts, then asked one command at a time (sequential) or
 * with {@link #IN_FLIGHT} commands in flight (pipelined), spread round-robin over the entities.
 * The asks block virtual threads, as the replay driver's do, so the two pay the same for waiting.
 */
public final class BareJournalRate {

    public static final int ENTITIES = 1000;
    public static final int IN_FLIGHT = 256;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final ActorSystem<?> system;
    private final List<ActorRef<BareCounter.Increment>> counters = new ArrayList<>();

    /** Starts {@link #ENTITIES} fresh counters named after {@code prefix} and waits until each answered once. */
    public BareJournalRate(ActorSystem<?> system, String prefix) {
        this(system, prefix, ENTITIES);
    }

    /** As above, with {@code entities} counters. */
    public BareJournalRate(ActorSystem<?> system, String prefix, int entities) {
        this.system = system;
        for (int i = 0; i < entities; i++) {
            counters.add(system.systemActorOf(BareCounter.create(prefix + "/" + i), "bare-" + prefix + "-" + i,
                    Props.empty()));
        }
        rate(entities, Math.min(entities, IN_FLIGHT)); // recovery of every counter, and a first write: not measured
    }

    /** Events/s of {@code commands} commands asked one at a time. */
    public double sequential(int commands) {
        return rate(commands, 1);
    }

    /** Events/s of {@code commands} commands with {@link #IN_FLIGHT} in flight. */
    public double pipelined(int commands) {
        return rate(commands, IN_FLIGHT);
    }

    /**
     * Milliseconds for a broadcast's shape on bare counters: one event at the first counter, then one
     * at each of {@code receivers} others with all of them in flight, then one more at the first (a
     * TLB flush's request, its vCPUs' flushes and its completion): the journal's floor under it.
     */
    public double broadcastMillis(int receivers) {
        if (receivers >= counters.size()) {
            throw new IllegalArgumentException(receivers + " receivers need more than " + counters.size() + " counters");
        }
        long t0 = System.nanoTime();
        ask(counters.get(0));
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        for (int i = 1; i <= receivers; i++) {
            acks.add(AskPattern.<BareCounter.Increment, Long>ask(counters.get(i), BareCounter.Increment::new, TIMEOUT,
                    system.scheduler()).toCompletableFuture());
        }
        for (CompletableFuture<Long> a : acks) {
            await(a);
        }
        ask(counters.get(0));
        return (System.nanoTime() - t0) / 1e6;
    }

    private double rate(int commands, int inFlight) {
        long t0 = System.nanoTime();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> lanes = new ArrayList<>();
            for (int lane = 0; lane < inFlight; lane++) {
                int first = lane;
                lanes.add(threads.submit(() -> {
                    for (int i = first; i < commands; i += inFlight) {
                        ask(counters.get(i % counters.size()));
                    }
                }));
            }
            for (Future<?> f : lanes) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a bare counter failed: " + e.getCause(), e.getCause());
        }
        return commands / ((System.nanoTime() - t0) / 1e9);
    }

    private void ask(ActorRef<BareCounter.Increment> counter) {
        await(AskPattern.<BareCounter.Increment, Long>ask(counter, BareCounter.Increment::new, TIMEOUT,
                system.scheduler()).toCompletableFuture());
    }

    private static void await(CompletableFuture<Long> answer) {
        try {
            answer.get(TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("a bare counter did not answer: " + e, e);
        }
    }
}
