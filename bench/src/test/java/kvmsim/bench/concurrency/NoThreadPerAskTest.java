package kvmsim.bench.concurrency;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.util.concurrent.ForkJoinPool;
import kvmsim.actors.engine.JournaledReplay;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.bench.traces.RandomFleetTraceGenerator;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.store.JournalLocation;
import org.junit.jupiter.api.Test;

/**
 * Waiting on an ask costs no thread. A callback chained on a Pekko ask without an executor runs
 * asynchronously on the common ForkJoinPool, which on a 2-core machine has parallelism 1, and on
 * JDK 21 CompletableFuture then starts a new thread for each callback: the replay once started
 * 65,245 threads in 85 s. Here a replay of thousands of asks, on a system already warm, may start a
 * handful of platform threads (pools growing), not one per ask; and it hands the common pool no
 * work at all (which JDK 25 would run on the pool instead of a new thread: counted too, so that the
 * test fails on either JDK).
 */
class NoThreadPerAskTest {

    @Test
    void aReplayStartsNoThreadPerAsk() throws Exception {
        JournalLocation location = JournalLocation.parse("h2:" + Files.createTempDirectory("kvmsim-threads"));
        location.ensureSchema();
        Trace trace = RandomFleetTraceGenerator.generate(7, 3, 20, 60);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            JournaledReplay.run(sys, "threads-warm-up", trace, Policies.defaults(), false, ReplayListener.NONE);
            long before = threads.getTotalStartedThreadCount();
            long commonPoolTasks = ForkJoinPool.commonPool().getStealCount();
            RunReport r = JournaledReplay.run(sys, "threads", trace, Policies.defaults(), false, ReplayListener.NONE);
            long started = threads.getTotalStartedThreadCount() - before;
            commonPoolTasks = ForkJoinPool.commonPool().getStealCount() - commonPoolTasks;
            assertTrue(r.eventCount() > 1000, "enough asks to tell: " + r.eventCount() + " events");
            assertTrue(started < 30, started + " platform threads started for " + r.eventCount() + " events");
            assertTrue(commonPoolTasks < 30, commonPoolTasks + " tasks ran on the common pool for " + r.eventCount()
                    + " events");
        }
    }
}
