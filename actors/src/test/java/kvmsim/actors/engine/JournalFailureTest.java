package kvmsim.actors.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import kvmsim.actors.entity.JournalFailed;
import kvmsim.actors.history.RunLog;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.trace.TraceSource;
import kvmsim.journal.store.JournalLocation;
import kvmsim.journal.trace.TraceParser;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.StorageFailure;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.Test;

/**
 * A journal that refuses a write (here Pekko's test journal, as a full disk would) stops the run at
 * once, naming the actor whose write failed and what the journal said. Before, the entity stopped
 * unseen and the driver waited a minute per ask, retrying for many minutes (a full disk hung a CI run).
 * The bound below is a liveness bound: the old code took minutes, the new one about a second.
 */
class JournalFailureTest {

    private static final String TRACE = "examples/x86/seed-004-unconditional-flush.trace";
    private static final Duration AT_ONCE = Duration.ofSeconds(20);

    // refuses the n-th write among those of the matching persistence ids, as a full disk would: the others pass
    private static ProcessingPolicy<JournalOperation> refuseWrite(Predicate<String> whose, int n) {
        return refuseWrite(whose, n, new IOException("No space left on device"));
    }

    private static ProcessingPolicy<JournalOperation> refuseWrite(Predicate<String> whose, int n, Throwable why) {
        AtomicInteger writes = new AtomicInteger();
        return new ProcessingPolicy<>() {
            @Override
            public ProcessingResult tryProcess(String persistenceId, JournalOperation op) {
                if (op instanceof WriteEvents && whose.test(persistenceId) && writes.incrementAndGet() == n) {
                    return StorageFailure.create(why);
                }
                return ProcessingSuccess.getInstance();
            }
        };
    }

    private static JournalFailed replayWith(ProcessingPolicy<JournalOperation> policy) throws Exception {
        return replayWith(policy, JournalFailed.class);
    }

    private static <X extends RuntimeException> X replayWith(ProcessingPolicy<JournalOperation> policy,
            Class<X> stopsWith) throws Exception {
        JournalLocation snapshots = JournalLocation.inMemory("journal-failure-" + System.nanoTime());
        snapshots.ensureSchema();
        try (KvmsimSystem sys = KvmsimSystem.start(snapshots, PersistenceTestKitPlugin.config()
                .withFallback(ConfigFactory.parseString("kvmsim.ask-timeout = 60s")))) {
            PersistenceTestKit.create(sys.system()).withPolicy(policy);
            TraceSource trace = TraceParser.openAny(TRACE);
            return assertTimeoutPreemptively(AT_ONCE, () -> assertThrows(stopsWith,
                    () -> JournaledReplay.run(sys, "full", trace, Replay.policiesFor(trace, Map.of()), false,
                            ReplayListener.NONE)));
        }
    }

    @Test
    void anEntityWhoseWriteIsRefusedStopsTheRunAtOnceAndSaysWhoAndWhy() throws Exception {
        JournalFailed f = replayWith(refuseWrite(pid -> pid.startsWith("full/slot/"), 3));
        assertTrue(f.actor().startsWith("full/slot/"), f.actor());
        assertEquals("full", f.runId());
        assertTrue(f.getMessage().contains("No space left on device"), f.getMessage());
    }

    @Test
    void aVcpuThatFailsInTheMiddleOfAFlushStopsTheRunToo() throws Exception {
        // the VM waits for its vCPUs' acknowledgements; the driver waits for the VM: both must let go
        JournalFailed f = replayWith(refuseWrite(pid -> pid.startsWith("full/vcpu/"), 4));
        assertTrue(f.actor().startsWith("full/vcpu/"), f.actor());
    }

    @Test
    void aFailureWithoutTheDatabasesOrTheDisksWordIsKvmsimsOwnNotTheJournals() throws Exception {
        // a stopped entity whose cause holds no SQLException or IOException: a bug, reported as one (exit 3)
        IllegalStateException e = replayWith(refuseWrite(pid -> pid.startsWith("full/slot/"), 3,
                new IllegalArgumentException("a handler's bug")), IllegalStateException.class);
        assertTrue(e.getMessage().startsWith("full/slot/") && e.getMessage().contains("a handler's bug"), e.getMessage());
    }

    @Test
    void aRunLogWhoseWriteIsRefusedStopsTheRunAtOnce() throws Exception {
        // the run log's second write is the run's finish
        JournalFailed f = replayWith(refuseWrite(pid -> pid.endsWith(RunLog.SUFFIX), 2));
        assertEquals("full" + RunLog.SUFFIX, f.actor());
    }
}
