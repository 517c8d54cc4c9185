package kvmsim.actors.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import kvmsim.actors.entity.KvmEntity;
import kvmsim.actors.history.JournalReader;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * The driver's settling of a command sent while others to its entity were in flight before it (a
 * cluster node died with several in its mailbox), without a cluster: the "lost" commands are
 * applied, or not, by hand. The plan's replies come from a twin vCPU given the same commands.
 * ActorEngineRecoveryTest covers the command sent alone.
 */
class PipelinedSettleTest {

    private static final EntityId TWIN = EntityId.vcpu("vm0", 1);
    private static final EntityId VCPU = EntityId.vcpu("vm0", 0);
    private static final EntityCommand ENTER = new VcpuCommand.EnterGuest(false);
    private static final EntityCommand EXIT = new VcpuCommand.RunFailed();

    private static KvmsimSystem system() throws Exception {
        JournalLocation journal = JournalLocation.inMemory("pipelined-" + System.nanoTime());
        journal.ensureSchema();
        return KvmsimSystem.start(journal, ConfigFactory.parseString("kvmsim.ask-timeout = 1s"));
    }

    // applies a command at the entity with a reply the driver never sees
    private static Reply applyBehindTheDriver(KvmsimSystem sys, int line, EntityCommand command, long expected) {
        TestProbe<Reply> lost = TestProbe.create(sys.system());
        sys.entities().ref("p", VCPU).tell(new KvmEntity.Handle(line, command, lost.getRef(), expected));
        return lost.receiveMessage(Duration.ofSeconds(10));
    }

    @Test
    void aCommandAppliedBeforeLaterOnesWhoseReplyWasLostTakesThePlansReplyAndOnlyItsOwnEvents() throws Exception {
        try (KvmsimSystem sys = system()) {
            ActorEngine engine = new ActorEngine(sys, "p");
            engine.send(1, TWIN, new VcpuCommand.Create());
            Reply planned = engine.send(2, TWIN, ENTER);
            assertEquals(1, engine.send(3, TWIN, EXIT).events().size(), "leaving the guest persists an event");
            engine.send(1, VCPU, new VcpuCommand.Create());
            // the entering and the exit after it were both applied; both replies were lost
            applyBehindTheDriver(sys, 2, ENTER, 1);
            applyBehindTheDriver(sys, 3, EXIT, 2);

            // the driver's copy of the entering finds the journal at 3 and is dropped; the journal's
            // events after 1 are the entering's and the exit's: the reply holds the entering's alone
            Reply r = engine.settle(2, VCPU, ENTER, engine.ask(2, VCPU, ENTER, 1), 1,
                    new ActorEngine.Expected(planned, () -> { }));
            assertEquals(planned, r);
            assertEquals(1, engine.rebuilt());
            assertEquals(0, engine.resent());
            assertEquals(3, new JournalReader(sys.system()).events("p/vcpu/vm0/0").size(), "each applied once");
        }
    }

    @Test
    void aCommandWhoseEarlierOnesWereLostTooWaitsForThemAndIsThenSentAgain() throws Exception {
        try (KvmsimSystem sys = system()) {
            ActorEngine engine = new ActorEngine(sys, "p");
            engine.send(1, TWIN, new VcpuCommand.Create());
            engine.send(2, TWIN, ENTER);
            Reply planned = engine.send(3, TWIN, EXIT);
            engine.send(1, VCPU, new VcpuCommand.Create());

            // the exit arrives while the entering before it is lost: the entity, at 1, drops it. The
            // driver finds the journal short of its count and waits for the earlier command, which
            // its own sender sends again (here: applied when the driver waits)
            boolean[] waited = {false};
            Reply r = engine.settle(3, VCPU, EXIT, engine.ask(3, VCPU, EXIT, 2), 2, new ActorEngine.Expected(planned,
                    () -> {
                        waited[0] = true;
                        applyBehindTheDriver(sys, 2, ENTER, 1);
                    }));
            assertEquals(planned, r);
            assertEquals(true, waited[0]);
            assertEquals(1, engine.resent());
            assertEquals(0, engine.rebuilt());
            List<JournalReader.Stored> held = new JournalReader(sys.system()).events("p/vcpu/vm0/0");
            assertEquals(3, held.size(), "the entering, then the exit, each once");
            assertEquals(3, held.get(2).sequenceNr());
            assertFalse(held.get(1).event().toString().contains("Left"), held.toString());
        }
    }
}
