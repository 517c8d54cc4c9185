package kvmsim.bench.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.time.Duration;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.bench.baseline.BareCounter;
import kvmsim.journal.store.BoundedHighestSequenceDao;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.junit.jupiter.api.Test;

/**
 * An entity recovered from a snapshot on H2 continues at the journal's real highest sequence number: the journal DAO
 * (BoundedHighestSequenceDao) asks for it from the snapshot on; an answer that stopped at the snapshot would replay none of
 * the events after it, and the count below would come back short.
 */
class RecoveryAfterSnapshotTest {

    /** BareCounter with a snapshot every 10 events. */
    static final class SnapshotCounter
            extends EventSourcedBehavior<BareCounter.Increment, BareCounter.Incremented, Long> {

        SnapshotCounter(String id) {
            super(PersistenceId.ofUniqueId(id));
        }

        static Behavior<BareCounter.Increment> create(String id) {
            return new SnapshotCounter(id);
        }

        @Override
        public Long emptyState() {
            return 0L;
        }

        @Override
        public CommandHandler<BareCounter.Increment, BareCounter.Incremented, Long> commandHandler() {
            return newCommandHandlerBuilder().forAnyState().onCommand(BareCounter.Increment.class,
                    (s, c) -> Effect().persist(new BareCounter.Incremented(1)).thenReply(c.replyTo(), n -> n)).build();
        }

        @Override
        public EventHandler<Long, BareCounter.Incremented> eventHandler() {
            return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> s + e.by());
        }

        @Override
        public RetentionCriteria retentionCriteria() {
            return RetentionCriteria.snapshotEvery(10, 2);
        }
    }

    @Test
    void anEntityRecoveredFromItsSnapshotReplaysTheEventsAfterIt() throws Exception {
        JournalLocation location = JournalLocation.parse("h2:" + Files.createTempDirectory("kvmsim-recovery"));
        location.ensureSchema();
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            assertEquals(BoundedHighestSequenceDao.class.getName(),
                    sys.system().settings().config().getString("jdbc-journal.dao"));
            ActorRef<BareCounter.Increment> c = sys.system().systemActorOf(SnapshotCounter.create("snap-1"), "c1",
                    org.apache.pekko.actor.typed.Props.empty());
            long n = 0;
            for (int i = 0; i < 35; i++) {
                n = increment(sys, c);
            }
            assertEquals(35, n);
        }
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            ActorRef<BareCounter.Increment> c = sys.system().systemActorOf(SnapshotCounter.create("snap-1"), "c2",
                    org.apache.pekko.actor.typed.Props.empty());
            assertEquals(36, increment(sys, c), "snapshot at 30, events 31-35 replayed, then one more");
        }
    }

    private static long increment(KvmsimSystem sys, ActorRef<BareCounter.Increment> c) throws Exception {
        return AskPattern.<BareCounter.Increment, Long>ask(c, BareCounter.Increment::new, Duration.ofSeconds(20),
                sys.system().scheduler()).toCompletableFuture().get();
    }
}
