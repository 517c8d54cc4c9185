package kvmsim.actors.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.host.HostState;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.trace.Trace;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.journal.trace.TraceParser;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Snapshots written before entity states kept persistent maps still load, and equal the states
 * the model builds now. The fixture holds, for every entity of {@link #TRACES} replayed on the
 * reference engine at commit 9c6084b (states built with Map.copyOf), the bytes Pekko's
 * serializer made of its final state, as the snapshot store keeps them: trace, entity, serializer
 * id, manifest, base64.
 */
class OldSnapshotsTest {

    static final List<String> TRACES = List.of("arm64/pkvm-ownership-selftest.trace", "arm64/pkvm-donation-splits-block.trace",
            "arm64/seed-000-on-lock-leak.trace", "x86/kernel-confirmed-guest-memfd.trace",
            "x86/kernel-confirmed-memslots-dirty-log.trace", "x86/seed-004-if-modified-stale-tlb.trace",
            "x86/seed-001-kvmclock-gpc-refcounted.trace");
    static final String FIXTURE = "/old-snapshots/states-before-persistent-maps.tsv";
    // traces changed since the fixture was written (this one's HOST line gained "mmu": "shadow" and a probe case):
    // their old states cannot be compared with a rebuild, so they must load and survive the serializer again
    static final Set<String> CHANGED_SINCE = Set.of("x86/kernel-confirmed-memslots-dirty-log.trace");

    static ActorTestKit kit;
    static Serialization serialization;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create(ConfigFactory.load());
        serialization = SerializationExtension.get(kit.system().classicSystem());
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void everyOldSnapshotLoadsAsTheStateTheModelBuildsNow() throws Exception {
        Map<String, ReferenceEngine> now = new HashMap<>();
        for (String t : TRACES) {
            Trace trace = TraceParser.parse(Path.of("examples", t));
            ReferenceEngine engine = new ReferenceEngine();
            Replay.run("now", trace, Replay.policiesFor(trace, Map.of()), engine, false);
            now.put(t, engine);
        }
        int rows = 0;
        int slotsWithEntries = 0;
        int hostsWithPkvm = 0;
        int vcpusWithTlb = 0;
        try (InputStream in = OldSnapshotsTest.class.getResourceAsStream(FIXTURE)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split("\t");
                EntityState old = (EntityState) serialization.deserialize(Base64.getDecoder().decode(f[4]),
                        Integer.parseInt(f[2]), f[3]).get();
                if (CHANGED_SINCE.contains(f[0])) {
                    org.apache.pekko.serialization.Serializer ser = serialization.findSerializerFor(old);
                    byte[] again = ser.toBinary(old);
                    assertEquals(old, serialization.deserialize(again, ser.identifier(),
                            org.apache.pekko.serialization.Serializers.manifestFor(ser, old)).get(), f[0] + " " + f[1]);
                } else {
                    EntityState built = withoutFieldsNewerThanTheFixture(now.get(f[0]).state(EntityId.parse(f[1])));
                    assertEquals(built, old, f[0] + " " + f[1]);
                }
                rows++;
                if (old instanceof MemslotState m && !(m.sptes().isEmpty() && m.stage2().isEmpty())) {
                    slotsWithEntries++;
                }
                if (old instanceof HostState h && h.pkvm() != null && !h.pkvm().hyp().isEmpty()) {
                    hostsWithPkvm++;
                }
                if (old instanceof VcpuState v && !v.tlb().isEmpty()) {
                    vcpusWithTlb++;
                }
            }
        }
        assertEquals(144, rows);
        assertTrue(slotsWithEntries > 0 && hostsWithPkvm > 0 && vcpusWithTlb > 0,
                "the fixture has maps to read: slots " + slotsWithEntries + ", pkvm hosts " + hostsWithPkvm
                        + ", vcpus with TLB entries " + vcpusWithTlb);
    }

    // the host's registered MMU notifiers came after the fixture: an old host record loads with none
    private static EntityState withoutFieldsNewerThanTheFixture(EntityState s) {
        if (s instanceof HostState h) {
            return new HostState(h.id(), h.declared(), h.arch(), h.features(), h.vmas(), h.mmapSeen(),
                    h.rlimitMemlock(), h.lockedVm(), h.pages(), h.gmem(), h.folios(), h.pkvm(), List.of());
        }
        return s;
    }

    @Test
    void aStateWithPersistentMapsSurvivesTheSnapshotSerializer() throws Exception {
        Trace trace = TraceParser.parse(Path.of("examples", "arm64/pkvm-donation-splits-block.trace"));
        ReferenceEngine engine = new ReferenceEngine();
        Replay.run("now", trace, Replay.policiesFor(trace, Map.of()), engine, false);
        assertFalse(engine.states().isEmpty(), "the replay made entities");
        for (EntityId id : engine.states().keySet()) {
            EntityState s = engine.state(id);
            var serializer = serialization.findSerializerFor(s);
            Object back = serialization.deserialize(serialization.serialize(s).get(), serializer.identifier(),
                    Serializers.manifestFor(serializer, s)).get();
            assertEquals(s, back, id.path());
        }
    }
}
