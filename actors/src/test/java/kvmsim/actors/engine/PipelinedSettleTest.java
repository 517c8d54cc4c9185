package kvmsim.actors.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import kvmsim.actors.entity.KvmEntity;
import kvmsim.actors.history.JournalReader;
import kvmsim.domain.engine.Lookahead;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.trace.TraceSource;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.journal.trace.TraceParser;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * The driver's settling of a command sent while others to its entity were in flight before it (a
 * cluster node died with several in its mailbox), without a cluster: the "lost" commands are
 * applied, or not, by hand. The plan's replies come from a twin vCPU given the same commands, or
 * from the reference engine's plan of an example trace.
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
        return applyBehindTheDriver(sys, line, VCPU, command, expected);
    }

    private static Reply applyBehindTheDriver(KvmsimSystem sys, int line, EntityId to, EntityCommand command,
            long expected) {
        TestProbe<Reply> lost = TestProbe.create(sys.system());
        sys.entities().ref("p", to).tell(new KvmEntity.Handle(line, command, lost.getRef(), expected));
        return lost.receiveMessage(Duration.ofSeconds(10));
    }

    @Test
    void aBroadcastAppliedWhoseReplyWasLostTakesThePlansReplyOnceEveryReceiverHoldsItsEvents() throws Exception {
        TraceSource trace = TraceParser.openAny("examples/x86/seed-004-unconditional-flush.trace");
        Lookahead ahead = new Lookahead(trace.steps(), Replay.policiesFor(trace, Map.of()));
        try (KvmsimSystem sys = system()) {
            ActorEngine engine = new ActorEngine(sys, "p");
            Lookahead.Send flush = null;
            int line = 0;
            while (flush == null && ahead.hasNext()) {
                Lookahead.Planned p = ahead.next();
                line = p.step().line();
                for (Lookahead.Send s : p.sends()) {
                    if (flush == null && !s.receivers().isEmpty() && !s.reply().trail().isEmpty()) {
                        flush = s;
                    } else if (flush == null) {
                        assertEquals(s.reply(), engine.send(line, s.to(), s.command()), "the plan before the flush");
                    }
                }
            }
            assertTrue(flush != null, "the trace flushes remote TLBs");
            assertTrue(flush.eventsBefore().size() > 1, "the flush persists events at its receivers too");
            // the VM applies the flush, every receiver answers, and the reply is lost
            assertEquals(flush.reply(), applyBehindTheDriver(sys, line, flush.to(), flush.command(), flush.persistedBefore()));

            Lookahead.Send f = flush;
            Reply r = engine.settle(line, f.to(), f.command(), engine.ask(line, f.to(), f.command(), f.persistedBefore()),
                    f.persistedBefore(), new ActorEngine.Expected(f.reply(), f.eventsBefore(), () -> { }));
            assertEquals(f.reply(), r);
            assertEquals(1, engine.rebuilt());
            assertEquals(0, engine.resent());
            JournalReader reader = new JournalReader(sys.system());
            f.eventsBefore().forEach((id, before) -> assertEquals(before + f.reply().emitted(f.to()).stream()
                    .filter(e -> e.entity().equals(id)).count(), reader.events("p/" + id.path()).size(),
                    id.path() + ": the flush's events, once"));
        }
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
                    new ActorEngine.Expected(planned, Map.of(VCPU, 1L), () -> { }));
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
                    Map.of(VCPU, 2L), () -> {
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
