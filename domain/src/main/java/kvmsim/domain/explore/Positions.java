package kvmsim.domain.explore;

import java.util.Arrays;

/** How many steps each thread has made: the control part of a search state. Immutable, with value equality (a cache key). */
final class Positions {

    private final int[] done;

    private Positions(int[] done) {
        this.done = done;
    }

    static Positions start(int threads) {
        return new Positions(new int[threads]);
    }

    /** The next step index of {@code thread}. */
    int of(int thread) {
        return done[thread];
    }

    Positions advance(int thread) {
        int[] copy = done.clone();
        copy[thread]++;
        return new Positions(copy);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Positions p && Arrays.equals(done, p.done);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(done);
    }

    @Override
    public String toString() {
        return Arrays.toString(done);
    }
}
