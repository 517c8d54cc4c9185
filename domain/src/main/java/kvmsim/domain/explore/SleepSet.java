package kvmsim.domain.explore;

import java.util.Arrays;

/**
 * The threads whose next step need not be run from a state, each with that step's footprint (Godefroid's sleep set).
 *
 * <p>A thread is named by its index: while it sleeps it does not move, so its next step stays the same step. The footprint is
 * kept from when the step was run elsewhere; complete footprints guarantee it is the footprint the step has here too (steps that
 * do not conflict with it do not change it), so sleeping steps are never re-run just to learn what they touch. Immutable.
 */
final class SleepSet {

    private final Footprint[] asleep; // index = thread, null = awake

    private SleepSet(Footprint[] asleep) {
        this.asleep = asleep;
    }

    static SleepSet empty(int threads) {
        return new SleepSet(new Footprint[threads]);
    }

    boolean contains(int thread) {
        return asleep[thread] != null;
    }

    /** This set plus {@code thread}, whose next step has footprint {@code footprint}. */
    SleepSet with(int thread, Footprint footprint) {
        Footprint[] copy = asleep.clone();
        copy[thread] = footprint;
        return new SleepSet(copy);
    }

    /**
     * The sleep set of the state after a step with footprint {@code moved}: only the sleeping steps independent of it stay asleep,
     * because only they commute with it (a dependent one leads elsewhere once the moved step has run, so it must wake).
     */
    SleepSet independentOf(Footprint moved) {
        Footprint[] copy = new Footprint[asleep.length];
        for (int t = 0; t < asleep.length; t++) {
            if (asleep[t] != null && !asleep[t].conflictsWith(moved)) {
                copy[t] = asleep[t];
            }
        }
        return new SleepSet(copy);
    }

    /**
     * The threads asleep in both: a state reached along several prefixes may skip a step only if every prefix allows it
     * (Godefroid's Z' &#8745; Z for a state visited again).
     */
    SleepSet intersect(SleepSet other) {
        Footprint[] copy = new Footprint[asleep.length];
        for (int t = 0; t < asleep.length; t++) {
            if (asleep[t] != null && other.asleep[t] != null) {
                copy[t] = asleep[t];
            }
        }
        return new SleepSet(copy);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        for (int t = 0; t < asleep.length; t++) {
            if (asleep[t] != null) {
                b.append(b.length() > 1 ? ", " : "").append(t);
            }
        }
        return b.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SleepSet s && Arrays.equals(asleep, s.asleep);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(asleep);
    }
}
