package kvmsim.domain.explore;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class FootprintTest {

    @Test
    void readsOfTheSameLocationDoNotConflict() {
        assertFalse(Footprint.reading("x").conflictsWith(Footprint.reading("x")));
    }

    @Test
    void anyWriteToWhatTheOtherTouchesConflicts() {
        assertTrue(Footprint.writing("x").conflictsWith(Footprint.writing("x")), "write/write");
        assertTrue(Footprint.reading("x").conflictsWith(Footprint.writing("x")), "read/write");
        assertTrue(Footprint.writing("x").conflictsWith(Footprint.reading("x")), "write/read");
    }

    @Test
    void disjointLocationsDoNotConflict() {
        Footprint a = Footprint.of(Set.of("x"), Set.of("y"));
        Footprint b = Footprint.of(Set.of("x", "z"), Set.of("w"));
        assertFalse(a.conflictsWith(b));
        assertFalse(b.conflictsWith(a));
        assertFalse(Footprint.none().conflictsWith(a));
    }
}
