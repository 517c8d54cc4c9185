package kvmsim.actors.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.vm.VmEvent;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;

/** A journal row written when Recorded lived in kvmsim.domain.kernel still reads back. */
class OldJournalRowsTest {

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
