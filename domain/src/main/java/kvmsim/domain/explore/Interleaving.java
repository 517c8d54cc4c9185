package kvmsim.domain.explore;

/**
 * A fixed set of threads, each a fixed sequence of steps, over a copyable state: what the {@link Explorer} searches. Steps of one
 * thread keep their order; steps of different threads interleave in every way.
 *
 * <p>The reduced search relies on two promises, both of which a wrong model breaks silently (the search then skips orders it
 * should have run):
 * <ul>
 *   <li><b>Complete footprints.</b> If two steps enabled at a state have non-conflicting {@link Footprint}s there, running them in
 *       either order gives states with equal {@link #key keys}, and neither changes the other's next state, footprint or findings.
 *       This holds by construction when each footprint lists every location the step (and its findings) depends on or changes.
 *   <li><b>Faithful keys.</b> Two states with equal keys, at the same thread positions, behave the same from there on: every step
 *       gives equal-key next states, equal footprints and equal findings.
 * </ul>
 *
 * @param <S> the state; must be immutable, or copied by {@link #step} (the explorer keeps and reuses states)
 */
public interface Interleaving<S> {

    /** Number of threads, at least 1. */
    int threads();

    /** Number of steps in {@code thread}, at least 0. */
    int length(int thread);

    S initial();

    /**
     * Runs step {@code index} of {@code thread} from {@code s}, which must not be modified: the next state, what the step read and
     * wrote, and the findings the state after it reveals. Must be deterministic.
     */
    Transition<S> step(S s, int thread, int index);

    /** A canonical, hashable image of the state (equal keys mean the same future behaviour), for state caching. */
    Object key(S s);
}
