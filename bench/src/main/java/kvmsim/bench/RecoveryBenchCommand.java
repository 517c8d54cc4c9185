package kvmsim.bench;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import kvmsim.actors.cli.BadInput;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.entity.KvmEntity;
import kvmsim.bench.recovery.EntityJournalWriter;
import kvmsim.bench.traces.DistinctPagesTraceGenerator;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.kernel.Entities;
import kvmsim.domain.policy.Policies;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.SerializationExtension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * How long a long-lived entity takes to come back: the x86 memslot of a guest that wrote to one
 * new page per event, its journal written on H2 with the snapshot its entity would have taken
 * (every 1000 events, KvmEntity's retention) and the most events such a snapshot leaves after it
 * (999). Each round starts a fresh actor system on that journal, opens the journal with a question
 * to another entity, then times the slot's first answer: loading the snapshot, replaying the
 * events after it. The recovered state must equal the reference engine's. The first rounds are
 * not counted: the JIT compiler has not seen recovery yet.
 */
@Command(name = "bench-recovery", description = "Time for a memslot entity with many events to recover from its "
        + "snapshot on H2.")
final class RecoveryBenchCommand implements Callable<Integer> {

    static final EntityId SLOT = EntityId.slot("vm0", 0);
    static final int BATCH = 1000;
    static final Duration TIMEOUT = Duration.ofMinutes(5);

    @Spec
    CommandSpec spec;

    @Option(names = "--events", defaultValue = "1000000", description = "events of the memslot (default ${DEFAULT-VALUE})")
    int events;

    @Option(names = "--after-snapshot", defaultValue = "999", description = "events after the snapshot, replayed on "
            + "recovery (default ${DEFAULT-VALUE}, the most KvmEntity's snapshot every 1000 events leaves)")
    int after;

    @Option(names = "--rounds", defaultValue = "5", description = "recoveries measured (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--warmup", defaultValue = "2", description = "recoveries first, not counted, for the JIT "
            + "compiler (default ${DEFAULT-VALUE})")
    int warmup;

    @Mixin
    BenchJournalOption journal;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (events < 2 || after < 0 || after >= events || rounds < 1 || warmup < 0) {
            throw new BadInput("bench-recovery: --events takes 2 or more, --after-snapshot 0 to events-1, --rounds 1 "
                    + "or more, --warmup 0 or more");
        }
        JournalLocation location = journal.h2();
        List<Recorded> slotEvents = slotEvents(events);
        EntityState expected = Entities.initial(SLOT);
        for (Recorded r : slotEvents) {
            expected = Entities.evolve(expected, r);
        }
        String run = "bench-recovery-" + System.currentTimeMillis();
        long snapshotAt = events - after;
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            long t0 = System.nanoTime();
            write(sys, run + "/" + SLOT.path(), slotEvents, snapshotAt);
            int bytes = SerializationExtension.get(Adapter.toClassic(sys.system())).serialize(expected).get().length;
            out.printf("%s: %,d events of %s written to %s in %.1f s, snapshot at event %,d; the state at the end is "
                    + "%,d bytes of CBOR%n", run, events, SLOT.path(), location, (System.nanoTime() - t0) / 1e9,
                    snapshotAt, bytes);
            out.flush();
        }
        slotEvents = null; // the journal has them now
        List<Double> ms = new ArrayList<>();
        for (int round = 1 - warmup; round <= rounds; round++) {
            try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty()).withPluginsStarted()) {
                status(sys, run, EntityId.slot("vm0", 1)); // an entity with no events: the journal is open
                long t0 = System.nanoTime();
                KvmEntity.EntityStatus st = status(sys, run, SLOT);
                double elapsed = (System.nanoTime() - t0) / 1e6;
                if (st.lastSequenceNr() != events || !st.state().equals(expected)) {
                    throw new IllegalStateException("the recovered slot is not the one written: journal at "
                            + st.lastSequenceNr() + " of " + events);
                }
                if (round > 0) {
                    ms.add(elapsed);
                    out.printf("  round %d: recovered in %.0f ms%n", round, elapsed);
                    out.flush();
                }
            }
        }
        out.printf("median recovery of %,d events (snapshot + %d events), %d rounds after %d not counted: %.0f ms%n",
                events, after, rounds, warmup, BenchSupport.median(ms));
        out.flush();
        return 0;
    }

    /** The slot's first {@code count} events when the guest writes to distinct pages, by the reference engine. */
    static List<Recorded> slotEvents(int count) {
        List<Recorded> out = new ArrayList<>(count);
        String path = SLOT.path();
        Replay.run("bench-recovery", DistinctPagesTraceGenerator.generate(Arch.X86_64, count), Policies.defaults(),
                new ReferenceEngine(), false, new ReplayListener() {
                    @Override
                    public void step(StepResult result) {
                    }

                    @Override
                    public void event(String entityPath, Recorded recorded) {
                        if (out.size() < count && entityPath.equals(path)) {
                            out.add(recorded);
                        }
                    }

                    @Override
                    public boolean stopRequested() {
                        return out.size() >= count;
                    }
                });
        if (out.size() != count) {
            throw new IllegalStateException("the trace gave the slot " + out.size() + " events, not " + count);
        }
        return out;
    }

    private static void write(KvmsimSystem sys, String persistenceId, List<Recorded> all, long snapshotAt)
            throws Exception {
        var system = sys.system();
        CompletableFuture<Long> saved = new CompletableFuture<>();
        ActorRef<Long> savedRef = system.systemActorOf(Behaviors.<Long>receive((ctx, seq) -> {
            saved.complete(seq);
            return Behaviors.stopped();
        }), "snapshot-saved", Props.empty());
        ActorRef<EntityJournalWriter.Cmd> writer = system.systemActorOf(
                EntityJournalWriter.create(persistenceId, SLOT, snapshotAt, savedRef), "journal-writer", Props.empty());
        // a snapshot holds the state after the whole write that reached snapshotAt: a write ends there
        for (int i = 0, end; i < all.size(); i = end) {
            end = (int) Math.min(i + BATCH, i < snapshotAt ? snapshotAt : all.size());
            List<Recorded> batch = List.copyOf(all.subList(i, end));
            AskPattern.<EntityJournalWriter.Cmd, Long>ask(writer, r -> new EntityJournalWriter.Append(batch, r), TIMEOUT,
                    system.scheduler()).toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        long seq = saved.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (seq != snapshotAt) {
            throw new IllegalStateException("the snapshot at " + snapshotAt + " was not stored (" + seq + ")");
        }
        writer.tell(new EntityJournalWriter.Stop());
    }

    private static KvmEntity.EntityStatus status(KvmsimSystem sys, String run, EntityId id) throws Exception {
        RecipientRef<KvmEntity.Msg> ref = sys.entities().ref(run, id);
        return AskPattern.<KvmEntity.Msg, KvmEntity.EntityStatus>ask(ref, KvmEntity.Status::new, TIMEOUT,
                sys.system().scheduler()).toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
}
