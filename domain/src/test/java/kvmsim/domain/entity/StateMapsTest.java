package kvmsim.domain.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.host.HostEvent.GuestPageShared;
import kvmsim.domain.host.HostEvent.GuestPageUnshared;
import kvmsim.domain.host.HostEvent.HostFfaShareChanged;
import kvmsim.domain.host.HostEvent.HypPageStateSet;
import kvmsim.domain.host.OwnerEncoding;
import kvmsim.domain.host.PageState;
import kvmsim.domain.host.PkvmState;
import kvmsim.domain.memslot.MemslotDecider;
import kvmsim.domain.memslot.MemslotEvent.MemslotCreated;
import kvmsim.domain.memslot.MemslotEvent.SpteChanged;
import kvmsim.domain.memslot.MemslotEvent.SptesZapped;
import kvmsim.domain.memslot.MemslotEvent.Stage2Mapped;
import kvmsim.domain.memslot.MemslotEvent.Stage2Unmapped;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.memslot.Spte;
import kvmsim.domain.memslot.Stage2Pte;
import org.junit.jupiter.api.Test;
import org.pcollections.TreePMap;

/** Persistent state maps behave as the copied maps did: by value, immutable, old versions untouched. */
class StateMapsTest {

    @Test
    void aPersistentMapIsKeptAndAnyOtherCopied() {
        TreePMap<Long, String> p = TreePMap.<Long, String>empty().plus(1L, "a");
        assertSame(p, StateMaps.sorted(p));
        Map<Long, String> plain = new HashMap<>(Map.of(2L, "b"));
        TreePMap<Long, String> copy = StateMaps.sorted(plain);
        plain.put(3L, "c");
        assertEquals(Map.of(2L, "b"), copy, "a later change to the plain map does not reach the copy");
    }

    @Test
    void aChangeLeavesTheVersionBeforeItAsItWas() {
        Map<Long, String> before = StateMaps.sorted(Map.of(1L, "a", 2L, "b"));
        Map<Long, String> after = StateMaps.without(StateMaps.with(before, 3L, "c"), 1L);
        assertEquals(Map.of(1L, "a", 2L, "b"), before);
        assertEquals(Map.of(2L, "b", 3L, "c"), after);
        assertThrows(UnsupportedOperationException.class, () -> after.put(4L, "d"));
    }

    @Test
    void equalityAndHashAreThoseOfPlainMapsAndSets() {
        Map<String, Integer> plain = Map.of("x", 1, "y", 2);
        TreePMap<String, Integer> p = StateMaps.sorted(new HashMap<>(plain));
        assertEquals(plain, p);
        assertEquals(p, plain);
        assertEquals(plain.hashCode(), p.hashCode());
        assertNotEquals(Map.of("x", 1), p);
        Set<Long> set = Set.of(5L, 7L);
        assertEquals(set, StateMaps.sortedSet(new HashSet<>(set)));
        assertEquals(StateMaps.sortedSet(set), set);
        assertEquals(List.of("x", "y"), List.copyOf(p.keySet()), "keys iterate in order");
    }

    @Test
    void nullKeysAndValuesAreRefusedAsMapCopyOfRefusedThem() {
        Map<Long, String> nullValue = new HashMap<>();
        nullValue.put(1L, null);
        assertThrows(NullPointerException.class, () -> StateMaps.sorted(nullValue));
        assertThrows(NullPointerException.class, () -> StateMaps.with(Map.<Long, String>of(), 1L, null));
        Set<Long> nullElement = new HashSet<>();
        nullElement.add(null);
        assertThrows(NullPointerException.class, () -> StateMaps.sortedSet(nullElement));
    }

    @Test
    void aMemslotEvolvedEventByEventEqualsOneBuiltFromPlainMaps() {
        MemslotState s = MemslotDecider.evolve(MemslotState.initial("vm0", 0),
                new MemslotCreated(new SlotGeometry(0, 0x100, 16, 0x7f0000000000L, 0)));
        MemslotState created = s;
        for (long gfn = 0x100; gfn < 0x110; gfn++) {
            s = MemslotDecider.evolve(s, new SpteChanged(gfn, null, Spte.make(true), false));
        }
        MemslotState zapped = MemslotDecider.evolve(s, new SptesZapped(List.of(0x101L, 0x10fL)));
        Map<Long, Spte> expected = new HashMap<>();
        for (long gfn = 0x100; gfn < 0x110; gfn++) {
            expected.put(gfn, Spte.make(true));
        }
        assertEquals(16, s.sptes().size());
        assertEquals(new MemslotState("vm0", 0, true, created.geometry(), null, Map.of(), expected, null), s);
        expected.remove(0x101L);
        expected.remove(0x10fL);
        assertEquals(expected, zapped.sptes());
        assertEquals(16, s.sptes().size(), "the state before the zap still has every SPTE");
        assertEquals(Map.of(), created.sptes());
        assertEquals(List.of(0x102L, 0x103L), List.copyOf(zapped.sptesIn(0x101, 3).keySet()));
        assertNull(zapped.spte(0x10f));
    }

    @Test
    void stage2UnmapRemovesExactlyItsRange() {
        MemslotState s = MemslotDecider.evolve(MemslotState.initial("vm0", 1),
                new MemslotCreated(new SlotGeometry(1, 0, 8, 0x7f0000000000L, 0)));
        s = MemslotDecider.evolve(s, new Stage2Mapped(0, 8, true, false));
        MemslotState unmapped = MemslotDecider.evolve(s, new Stage2Unmapped(2, 3));
        assertEquals(8, s.stage2().size());
        assertEquals(Set.of(0L, 1L, 5L, 6L, 7L), unmapped.stage2().keySet());
        assertEquals(new Stage2Pte(true, false), unmapped.pte(5));
    }

    @Test
    void pkvmStateFromPlainMapsEqualsTheEvolvedOneAndEvolvesAlike() {
        PkvmState start = PkvmState.initial(OwnerEncoding.ofBits(8));
        PkvmState evolved = start.evolve(new HypPageStateSet(10, 3, PageState.SHARED_BORROWED))
                .evolve(new GuestPageShared("vm0", 0x40, 11, 1)).evolve(new HostFfaShareChanged(20, 2, true));
        Map<Long, PageState> hyp = new HashMap<>(Map.of(10L, PageState.SHARED_BORROWED, 11L, PageState.SHARED_BORROWED,
                12L, PageState.SHARED_BORROWED));
        PkvmState plain = new PkvmState(start.encoding(), start.hostStage2(), hyp, Map.of(), Map.of(11L, 1),
                Map.of("vm0", new HashMap<>(Map.of(0x40L, 11L))), new HashSet<>(Set.of(20L, 21L)));
        assertEquals(plain, evolved);
        assertEquals(evolved.hashCode(), plain.hashCode());
        PkvmState unshared = plain.evolve(new GuestPageUnshared("vm0", 0x40, 11, 0));
        assertEquals(unshared, evolved.evolve(new GuestPageUnshared("vm0", 0x40, 11, 0)));
        assertNull(unshared.guestPfn("vm0", 0x40));
        assertEquals(11L, plain.guestPfn("vm0", 0x40), "the state before the unshare still maps the page");
        assertEquals(0, unshared.shareGuestCount(11));
    }
}
