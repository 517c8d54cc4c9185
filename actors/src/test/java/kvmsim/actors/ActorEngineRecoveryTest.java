package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import kvmsim.actors.engine.ActorEngine;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.entity.KvmEntity;
import kvmsim.actors.history.JournalReader;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * The driver's answer to a reply lost with a node, without a cluster: a command applied whose reply
 * never came back (simulated by applying it first with a reply nobody reads). The driver's own copy
 * finds the journal further on and is dropped; the driver asks how far the journal goes and rebuilds
 * the reply from it. The command is applied once.
 */
class ActorEngineRecoveryTest {

    @Test
    void anAppliedCommandWhoseReplyWasLostIsRebuiltNotAppliedTwice() throws Exception {
        JournalLocation journal = JournalLocation.inMemory("recovery-" + System.nanoTime());
        journal.ensureSchema();
        try (KvmsimSystem sys = KvmsimSystem.start(journal, ConfigFactory.parseString("kvmsim.ask-timeout = 1s"))) {
            ActorEngine engine = new ActorEngine(sys, "rec");
            EntityId vcpu = EntityId.vcpu("vm0", 0);
            assertEquals(1, engine.send(1, vcpu, new VcpuCommand.Create()).events().size());

            // the "lost" reply: applied at the entity, answered to a probe the driver never sees
            TestProbe<Reply> lost = TestProbe.create(sys.system());
            sys.entities().ref("rec", vcpu).tell(new KvmEntity.Handle(2, new VcpuCommand.EnterGuest(false),
                    lost.getRef(), 1));
            assertEquals(List.of(new Recorded(2, new VcpuEvent.VcpuEnteredGuest())),
                    lost.receiveMessage(Duration.ofSeconds(10)).events());

            Reply rebuilt = engine.send(2, vcpu, new VcpuCommand.EnterGuest(false));
            assertEquals(List.of(new Recorded(2, new VcpuEvent.VcpuEnteredGuest())), rebuilt.events());
            assertEquals(1, engine.rebuilt());
            assertEquals(0, engine.resent());
            assertEquals(2, new JournalReader(sys.system()).events("rec/vcpu/vm0/0").size(), "applied once");
        }
    }
}
