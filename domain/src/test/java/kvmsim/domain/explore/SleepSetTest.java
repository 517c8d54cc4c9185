package kvmsim.domain.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The sleep-set operations, and the merge a layer does when a state is reached again. */
class SleepSetTest {

    private static final Footprint X = Footprint.writing("x");
    private static final Footprint Y = Footprint.writing("y");

    @Test
    void aMoveWakesExactlyTheSleepersItConflictsWith() {
        SleepSet z = SleepSet.empty(3).with(0, X).with(1, Y);
        SleepSet after = z.independentOf(Footprint.reading("x"));
        assertFalse(after.contains(0), "x was read by the move: the write to x must run again");
        assertTrue(after.contains(1));
        assertFalse(after.contains(2));
    }

    @Test
    void intersectionKeepsOnlyWhatBothArrivalsLetSleep() {
        SleepSet a = SleepSet.empty(3).with(0, X).with(1, Y);
        SleepSet b = SleepSet.empty(3).with(1, Y).with(2, X);
        assertEquals(SleepSet.empty(3).with(1, Y), a.intersect(b));
        assertEquals(a.intersect(b), b.intersect(a));
    }

    @Test
    void aStateReachedTwiceInOneLayerIsKeptOnceWithTheIntersection() {
        Layer<String> layer = new Layer<>(true);
        Positions p = Positions.start(2).advance(0).advance(1);
        assertTrue(layer.add("s", "key", p, Path.EMPTY.then(0).then(1), SleepSet.empty(2).with(0, X)));
        assertFalse(layer.add("s", "key", p, Path.EMPTY.then(1).then(0), SleepSet.empty(2).with(1, Y)));
        assertEquals(1, layer.nodes().size());
        assertEquals(SleepSet.empty(2), layer.nodes().get(0).sleep, "neither thread may sleep: one arrival wants each");
        assertEquals(java.util.List.of(0, 1), layer.nodes().get(0).path.toList(), "the first path is kept");
        assertTrue(layer.add("s", "other key", p, Path.EMPTY, SleepSet.empty(2)), "a different state key is a different state");
        assertTrue(layer.add("s", "key", Positions.start(2).advance(0).advance(0), Path.EMPTY, SleepSet.empty(2)),
                "different positions are a different state");
    }

    @Test
    void withoutCachingEveryArrivalIsItsOwnState() {
        Layer<String> layer = new Layer<>(false);
        Positions p = Positions.start(1).advance(0);
        layer.add("s", null, p, Path.EMPTY, SleepSet.empty(1));
        layer.add("s", null, p, Path.EMPTY, SleepSet.empty(1));
        assertEquals(2, layer.nodes().size());
    }
}
