package kvmsim.actors.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Set;
import kvmsim.actors.history.RunLog;
import kvmsim.domain.audit.ChainLink;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.vm.PendingOp;
import kvmsim.domain.vm.VmEvent;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;

/** Journal rows written by earlier versions of kvmsim still read back. */
class OldJournalRowsTest {

    /** A run log's finish written when chain links kept only the event's text: its chains read back empty. */
    @Test
    void aFinishWhoseChainsHeldTextReadsWithoutChains() throws Exception {
        ActorTestKit kit = ActorTestKit.create(ConfigFactory.load());
        try {
            Serialization s = SerializationExtension.get(kit.system().classicSystem());
            ObjectMapper cbor = new ObjectMapper(new CBORFactory());
            ObjectNode old = cbor.createObjectNode().put("steps", 15).put("mismatches", 0).put("violations", 1)
                    .put("unexpected", 0).put("exitStatus", 0).put("finishedAtMillis", 5).put("events", 22);
            ObjectNode v = old.putArray("found").addObject().put("invariant", "pending-op-leak")
                    .put("entity", "vcpu/vm0/0").put("line", 14);
            v.putArray("chain").addObject().put("line", 10).put("entity", "vm/vm0")
                    .put("event", "PendingOpsSet[ops=[FLUSH_DCACHE, SANITISE_TAGS]]");
            RunLog.RunFinished now = new RunLog.RunFinished(1, 0, 0, 0, 0, 0, 0, List.of());
            int id = s.findSerializerFor(now).identifier();
            assertEquals("kvmsim.actors.history.RunLog$RunFinished#2",
                    Serializers.manifestFor(s.findSerializerFor(now), now), "rows now carry the version");
            RunLog.RunFinished read = (RunLog.RunFinished) s.deserialize(cbor.writeValueAsBytes(old), id,
                    "kvmsim.actors.history.RunLog$RunFinished").get();
            assertEquals(List.of(new Violation("pending-op-leak", "vcpu/vm0/0", 14, List.of())), read.found());
            assertEquals(22, read.events());
            RunLog.RunFinished withChain = new RunLog.RunFinished(15, 0, 1, 0, 0, 5, 22, List.of(new Violation(
                    "pending-op-leak", "vcpu/vm0/0", 14, List.of(new ChainLink(10, "vm/vm0",
                            new VmEvent.PendingOpsSet(Set.of(PendingOp.SANITISE_TAGS)))))));
            assertEquals(withChain, s.deserialize(s.serialize(withChain).get(), id,
                    Serializers.manifestFor(s.findSerializerFor(withChain), withChain)).get());
        } finally {
            kit.shutdownTestKit();
        }
    }

    @Test
    void aRowNamingRecordedByItsOldClassReadsAsTheNewOne() {
        ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseResources("kvmsim-journal.conf")
                .withFallback(ConfigFactory.defaultReference()).resolve());
        try {
            Serialization s = SerializationExtension.get(kit.system().classicSystem());
            Recorded r = new Recorded(7, new VmEvent.VcpuAdded(3));
            byte[] bytes = s.serialize(r).get();
            int id = s.findSerializerFor(r).identifier();
            assertEquals("kvmsim.domain.entity.Recorded", Serializers.manifestFor(s.findSerializerFor(r), r));
            assertEquals(r, s.deserialize(bytes, id, "kvmsim.domain.kernel.Recorded").get());
        } finally {
            kit.shutdownTestKit();
        }
    }
}
