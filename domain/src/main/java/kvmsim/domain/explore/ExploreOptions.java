package kvmsim.domain.explore;

/**
 * How the {@link Explorer} searches.
 *
 * @param reduction    sleep sets: skip a transition when an equivalent order (swapping independent steps) was already run
 * @param stateCaching merge interleaving prefixes that reach the same thread positions and an equal state key
 * @param maxStates    at most this many states are expanded; when the bound stops the search the result is not exhaustive
 */
public record ExploreOptions(boolean reduction, boolean stateCaching, long maxStates) {

    public ExploreOptions {
        if (maxStates < 0) {
            throw new IllegalArgumentException("maxStates must be >= 0, got " + maxStates);
        }
    }

    /** Sleep sets and state caching, unbounded: the normal search. */
    public static ExploreOptions reducedAndCached() {
        return new ExploreOptions(true, true, Long.MAX_VALUE);
    }

    /** No reduction, no caching, unbounded: runs every interleaving one by one, the oracle the reduced search is checked against. */
    public static ExploreOptions everyInterleaving() {
        return new ExploreOptions(false, false, Long.MAX_VALUE);
    }

    public ExploreOptions withReduction(boolean on) {
        return new ExploreOptions(on, stateCaching, maxStates);
    }

    public ExploreOptions withStateCaching(boolean on) {
        return new ExploreOptions(reduction, on, maxStates);
    }

    public ExploreOptions withMaxStates(long bound) {
        return new ExploreOptions(reduction, stateCaching, bound);
    }
}
