package kvmsim.journal.serialization;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.StateMaps;
import kvmsim.domain.host.HostEvent.GuestPageShared;
import kvmsim.domain.host.HostEvent.HostFfaShareChanged;
import kvmsim.domain.host.HostEvent.HypPageStateSet;
import kvmsim.domain.host.HostPage;
import kvmsim.domain.host.HostState;
import kvmsim.domain.host.OwnerEncoding;
import kvmsim.domain.host.PageState;
import kvmsim.domain.host.PkvmState;
import kvmsim.domain.memslot.DirtyBitmap;
import kvmsim.domain.memslot.MemslotDecider;
import kvmsim.domain.memslot.MemslotEvent.MemslotCreated;
import kvmsim.domain.memslot.MemslotEvent.SpteChanged;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.memslot.Spte;
import kvmsim.domain.memslot.Stage2Pte;
import kvmsim.domain.vcpu.TlbEntry;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.journal.output.OutputJson;
import kvmsim.journal.testing.CborRoundTrip;
import org.junit.jupiter.api.Test;

/**
 * States whose maps are persistent read back equal and persistent (a state recovered from a
 * snapshot changes one entry an event, as the one that was saved did); their --json form is what
 * it was when the maps were copies (an object by key, a set as an array); in the journal a large
 * map is written compactly and the object form still reads.
 */
class PersistentStateSerializationTest {

    // as Pekko's jackson-cbor serializer configures it, for the tests that look at the bytes
    private final ObjectMapper cbor = CborRoundTrip.mapper();

    private static EntityState roundTrip(EntityState s) throws Exception {
        return CborRoundTrip.of(s, EntityState.class);
    }

    private static MemslotState slot() {
        MemslotState s = MemslotDecider.evolve(MemslotState.initial("vm0", 0),
                new MemslotCreated(new SlotGeometry(0, 0x100, 16, 0x7f0000000000L, 1)));
        s = MemslotDecider.evolve(s, new SpteChanged(0x100, null, Spte.make(true), false));
        return MemslotDecider.evolve(s, new SpteChanged(0x105, null, Spte.make(false), false));
    }

    private static HostState pkvmHost() {
        PkvmState p = PkvmState.initial(OwnerEncoding.ofBits(8)).evolve(new HypPageStateSet(10, 2, PageState.OWNED))
                .evolve(new GuestPageShared("vm0", 0x40, 11, 1)).evolve(new HostFfaShareChanged(20, 2, true));
        return new HostState("host0", true, null, null, List.of(), false, -1, 0,
                Map.of(0x7f0000000L, new HostPage(false, 1, true)), Map.of(), Map.of(), p, List.of("vm0"));
    }

    @Test
    void memslotVcpuAndPkvmStatesRoundTripAndStayPersistent() throws Exception {
        MemslotState slot = slot();
        MemslotState slotBack = (MemslotState) roundTrip(slot);
        assertEquals(slot, slotBack);
        assertSame(slotBack.sptes(), StateMaps.sorted(slotBack.sptes()), "read back as a persistent map");
        MemslotState arm = new MemslotState("vm0", 1, true, new SlotGeometry(1, 0, 4, 0x7f0000000000L, 0), null,
                Map.of(2L, new Stage2Pte(true, false)), Map.of(), DirtyBitmap.allocate(4, true));
        assertEquals(arm, roundTrip(arm));
        VcpuState vcpu = new VcpuState("vm0", 0, true, true, 0, 0, true, true, Map.of(0x100L, new TlbEntry(true),
                0x101L, new TlbEntry(false)), 3, false, null, null);
        VcpuState vcpuBack = (VcpuState) roundTrip(vcpu);
        assertEquals(vcpu, vcpuBack);
        assertSame(vcpuBack.tlb(), StateMaps.sorted(vcpuBack.tlb()));
        HostState host = pkvmHost();
        HostState hostBack = (HostState) roundTrip(host);
        assertEquals(host, hostBack);
        assertEquals(11L, hostBack.pkvm().guestPfn("vm0", 0x40));
        assertEquals(PageState.OWNED, hostBack.pkvm().evolve(new HypPageStateSet(12, 1, PageState.OWNED)).hypState(12),
                "a state read back evolves");
    }

    @Test
    void theJsonShapeIsAnObjectByKeyAndSetsAreArrays() throws Exception {
        JsonNode slot = OutputJson.MAPPER.valueToTree(slot());
        assertTrue(slot.get("sptes").isObject());
        assertEquals(List.of("256", "261"), List.copyOf(iterable(slot.get("sptes").fieldNames())));
        assertTrue(slot.get("sptes").get("256").get("writable").asBoolean());
        JsonNode pkvm = OutputJson.MAPPER.valueToTree(pkvmHost()).get("pkvm");
        assertEquals("[20,21]", pkvm.get("ffa").toString());
        assertEquals("{\"vm0\":{\"64\":11}}", pkvm.get("guests").toString());
        assertEquals("{\"10\":\"OWNED\",\"11\":\"OWNED\"}", pkvm.get("hyp").toString());
    }

    private static MemslotState largeSlot(int n) {
        MemslotState s = MemslotDecider.evolve(MemslotState.initial("vm0", 0),
                new MemslotCreated(new SlotGeometry(0, 0, 4L * n, 0x7f0000000000L, 0)));
        for (long gfn = 0; gfn < 4L * n; gfn += 4) { // every fourth page, read-only and writable in turn
            s = MemslotDecider.evolve(s, new SpteChanged(gfn, null, Spte.make(gfn % 8 == 0), false));
        }
        return s;
    }

    @Test
    void aLargeStateMapIsWrittenCompactlyAndReadsBackPersistent() throws Exception {
        MemslotState slot = largeSlot(1000);
        byte[] compact = cbor.writerFor(EntityState.class).writeValueAsBytes(slot);
        // the same state as snapshots were written before: the SPTEs as an object by gfn
        ObjectNode old = cbor.valueToTree(slot);
        old.set("sptes", new ObjectMapper().valueToTree(new java.util.TreeMap<>(slot.sptes())));
        byte[] asObjects = cbor.writeValueAsBytes(old);
        assertTrue(compact.length * 10 < asObjects.length, compact.length + " bytes compact, " + asObjects.length
                + " as objects");
        MemslotState back = (MemslotState) cbor.readValue(compact, EntityState.class);
        assertEquals(slot, back);
        assertSame(back.sptes(), StateMaps.sorted(back.sptes()));
        JsonNode sptes = new ObjectMapper().registerModule(new KvmsimJacksonModule()).valueToTree(slot).get("sptes");
        assertEquals(2, sptes.get(0).size(), "two distinct SPTEs, each written once");
        assertEquals("[0,4,4]", sptes.get(1).toString().substring(0, 6) + "]", "keys as differences");
        assertEquals(1000, sptes.get(2).size());
        assertEquals(slot, cbor.readValue(asObjects, EntityState.class), "the object form still reads");
    }

    @Test
    void aCompactMapWhoseKeysDoNotAscendIsRefused() {
        ObjectMapper json = new ObjectMapper().registerModule(new KvmsimJacksonModule());
        String spte = "{\"writable\":true,\"mmuWritable\":true,\"hostWritable\":true,\"accessTracked\":false}";
        String slot = "{\"@type\":\"MemslotState\",\"vm\":\"vm0\",\"slot\":0,\"present\":false,\"stage2\":{},\"sptes\":";
        assertEquals(Map.of(5L, Spte.make(true), 7L, Spte.make(true)), assertDoesNotThrow(() -> json.readValue(
                slot + "[[" + spte + "],[5,2],[0,0]]}", MemslotState.class)).sptes());
        assertThrows(MismatchedInputException.class, () -> json.readValue(slot + "[[" + spte + "],[5,0],[0,0]]}",
                MemslotState.class));
        assertThrows(MismatchedInputException.class, () -> json.readValue(slot + "[[" + spte + "],[5,1],[0,1]]}",
                MemslotState.class));
        assertThrows(MismatchedInputException.class, () -> json.readValue(slot + "[[" + spte + "],[5,1],[0]]}",
                MemslotState.class));
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
