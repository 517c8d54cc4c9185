package kvmsim.actors.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmEvent;
import kvmsim.domain.vm.VmState;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * KvmEntity on Pekko's EventSourcedBehaviorTestKit, with probes for the receivers of its broadcasts:
 * the protocol's moments that a whole replay never isolates. Commands, events and state go through
 * Jackson CBOR as the journal would take them (the testkit serializes each).
 */
class KvmEntityTest {

    private static final Config CONFIG = EventSourcedBehaviorTestKit.config()
            .withFallback(ConfigFactory.parseString("kvmsim.broadcast-timeout = 3s"))
            .withFallback(ConfigFactory.parseResources("kvmsim-journal.conf"))
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    private static final ActorTestKit KIT = ActorTestKit.create(CONFIG);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final Map<EntityId, TestProbe<KvmEntity.Msg>> receivers = new HashMap<>();
    private EventSourcedBehaviorTestKit<KvmEntity.Msg, Recorded, EntityState> vm;
    private TestProbe<Reply> replies;
    private String persistenceId;

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @BeforeEach
    void vmWithTwoVcpus() {
        receivers.clear();
        for (long i = 0; i < 2; i++) {
            receivers.put(EntityId.vcpu("vm0", i), KIT.createTestProbe());
        }
        Peers peers = (run, id) -> receivers.get(id).getRef();
        persistenceId = "r" + System.nanoTime() + "/vm/vm0";
        vm = EventSourcedBehaviorTestKit.create(KIT.system(), KvmEntity.create(persistenceId, peers));
        replies = KIT.createTestProbe();
        vm.runCommand(handle(1, new VmCommand.Create(Arch.X86_64, "KVM_X86_DEFAULT_VM", "host0",
                HostFeatures.defaults(Arch.X86_64)), -1));
        vm.runCommand(handle(2, new VmCommand.CreateVcpu(0), -1));
        vm.runCommand(handle(3, new VmCommand.CreateVcpu(1), -1));
        replies.receiveSeveralMessages(3, WAIT);
    }

    private KvmEntity.Handle handle(int line, kvmsim.domain.entity.EntityCommand c, long expectedSeq) {
        return new KvmEntity.Handle(line, c, replies.getRef(), expectedSeq);
    }

    /** Each vCPU probe receives the flush request and answers it as a vCPU in guest mode would. */
    private void vcpusAnswer(long seq) {
        for (TestProbe<KvmEntity.Msg> p : receivers.values()) {
            KvmEntity.Handle request = (KvmEntity.Handle) p.receiveMessage(WAIT);
            assertEquals(new VcpuCommand.TlbFlushRequest(seq), request.command());
            request.replyTo().tell(new Reply(null, List.of(new Recorded(request.line(), new VcpuEvent.TlbFlushed(seq, 0)))));
        }
    }

    @Test
    void aCommandThatArrivesDuringABroadcastWaitsUntilItCompleted() {
        var started = vm.runCommand(handle(4, new VmCommand.FlushRemoteTlbs("test"), -1));
        assertEquals(List.of(new Recorded(4, new VmEvent.RemoteTlbFlushRequested(1, "test", List.of(0L, 1L)))),
                started.events());
        var waiting = vm.runCommand(handle(5, new VmCommand.CreateVcpu(2), -1));
        assertEquals(List.of(), waiting.events(), "stashed, not handled");
        replies.expectNoMessage(Duration.ofMillis(200));

        vcpusAnswer(1);
        Reply flush = replies.receiveMessage(WAIT);
        assertEquals(List.of("vm/vm0", "vcpu/vm0/0", "vcpu/vm0/1", "vm/vm0"),
                flush.trail().stream().map(e -> e.entity().path()).toList());
        assertEquals(new VmEvent.RemoteTlbFlushCompleted(1, 2, 0), flush.events().get(1).event());
        Reply created = replies.receiveMessage(WAIT);
        assertEquals(List.of(new Recorded(5, new VmEvent.VcpuAdded(2))), created.events(), "then the stashed one ran");
        assertEquals(List.of(0L, 1L, 2L), ((VmState) vm.getState()).vcpus());
    }

    @Test
    void aLateAnswerOfAnEarlierRoundChangesNothing() {
        vm.runCommand(handle(4, new VmCommand.FlushRemoteTlbs("test"), -1));
        Map<Integer, Reply> stale = Map.of(0, new Reply(null, List.of()), 1, new Reply(null, List.of()));
        var late = vm.runCommand(new KvmEntity.AcksReceived(99, stale, null));
        assertEquals(List.of(), late.events());
        assertNotNull(vm.getState().awaiting(), "still waiting on its own round");
        vcpusAnswer(1);
        assertEquals(new VmEvent.RemoteTlbFlushCompleted(1, 2, 0), replies.receiveMessage(WAIT).events().get(1).event());
        assertNull(vm.getState().awaiting());
    }

    @Test
    void anEntityRecoveredMidBroadcastAsksItsReceiversAgainAndCompletes() {
        vm.runCommand(handle(4, new VmCommand.FlushRemoteTlbs("test"), -1));
        for (TestProbe<KvmEntity.Msg> p : receivers.values()) {
            p.receiveMessage(WAIT); // the first round's requests, never answered: the entity crashes
        }
        vm.restart();
        assertNotNull(vm.getState().awaiting(), "the journal says it waits");
        vcpusAnswer(1); // the recovered entity sent the requests again
        replies.awaitAssert(WAIT, () -> {
            assertNull(vm.getState().awaiting(), "the completion is persisted");
            return null;
        });
        List<Object> persisted = vm.persistenceTestKit().persistedInStorage(persistenceId).stream()
                .map(Object.class::cast)
                .map(o -> (Object) ((Recorded) o).event()).toList();
        assertEquals(new VmEvent.RemoteTlbFlushCompleted(1, 2, 0), persisted.get(persisted.size() - 1));
        assertEquals(1, persisted.stream().filter(e -> e instanceof VmEvent.RemoteTlbFlushCompleted).count(),
                "completed once");
        replies.expectNoMessage(Duration.ofMillis(200)); // nobody waits for the crashed command's reply
    }

    @Test
    void aCommandThatFindsTheJournalElsewhereIsACopyAndIsDropped() {
        long journal = vm.persistenceTestKit().persistedInStorage(persistenceId).size();
        var copy = vm.runCommand(handle(4, new VmCommand.CreateVcpu(5), journal - 1));
        assertEquals(List.of(), copy.events(), "the sender expected one event fewer than the journal holds");
        replies.expectNoMessage(Duration.ofMillis(300));
        var expected = vm.runCommand(handle(4, new VmCommand.CreateVcpu(5), journal));
        assertEquals(List.of(new Recorded(4, new VmEvent.VcpuAdded(5))), expected.events());
        assertTrue(replies.receiveMessage(WAIT).ok());
    }
}
