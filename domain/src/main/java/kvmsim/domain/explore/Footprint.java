package kvmsim.domain.explore;

import java.util.Objects;
import java.util.Set;

/**
 * What one step read and wrote, as location names (e.g. {@code "spte/vm0/0x1000"}).
 *
 * <p>The explorer decides that two steps commute from their footprints alone, so a footprint must be complete: every location
 * whose value the step's effect, its own footprint or its findings depend on is in {@code reads}, every location it changes is in
 * {@code writes}. Listing too much only costs reduction; listing too little makes the reduced search miss interleavings.
 */
public record Footprint(Set<String> reads, Set<String> writes) {

    private static final Footprint NONE = new Footprint(Set.of(), Set.of());

    public Footprint {
        reads = Set.copyOf(Objects.requireNonNull(reads, "reads"));
        writes = Set.copyOf(Objects.requireNonNull(writes, "writes"));
    }

    /** A step that touches nothing shared: it commutes with every other step. */
    public static Footprint none() {
        return NONE;
    }

    public static Footprint of(Set<String> reads, Set<String> writes) {
        return new Footprint(reads, writes);
    }

    /** Only reads: two such steps never conflict. */
    public static Footprint reading(String... locations) {
        return new Footprint(Set.of(locations), Set.of());
    }

    /** Only writes. */
    public static Footprint writing(String... locations) {
        return new Footprint(Set.of(), Set.of(locations));
    }

    /**
     * True when the two steps may not commute: one writes what the other writes (write/write), or one writes what the other reads
     * (read/write, write/read). Two reads of the same location do not conflict.
     */
    public boolean conflictsWith(Footprint other) {
        return intersects(writes, other.writes) || intersects(reads, other.writes) || intersects(writes, other.reads);
    }

    private static boolean intersects(Set<String> a, Set<String> b) {
        Set<String> small = a.size() <= b.size() ? a : b;
        Set<String> large = small == a ? b : a;
        for (String x : small) {
            if (large.contains(x)) {
                return true;
            }
        }
        return false;
    }
}
