package kvmsim.domain.explore;

import java.math.BigInteger;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What a search found and what it cost.
 *
 * <p>Each reported depth is minimal even when the search was cut short: the search is breadth-first and the bound stops it
 * inside a depth, after every shallower depth was done. A cut-short search may miss findings, never report one too deep.
 *
 * @param counterexamples     one per distinct finding, the shortest path found, in the order found (so by increasing depth)
 * @param statesExpanded      states whose successors were considered (states where every thread has finished are not expanded)
 * @param transitionsExecuted calls to {@link Interleaving#step}
 * @param distinctStates      distinct (thread positions, state key) pairs seen, present only with state caching
 * @param finishedStates      states reached where every thread has finished; without caching or reduction this is the number of
 *                            interleavings run
 * @param interleavings       the number of interleavings of the threads, {@link InterleavingCount}
 * @param exhaustive          false when {@code maxStates} stopped the search
 */
public record ExploreResult(
        List<Counterexample> counterexamples,
        long statesExpanded,
        long transitionsExecuted,
        OptionalLong distinctStates,
        long finishedStates,
        BigInteger interleavings,
        boolean exhaustive) {

    public ExploreResult {
        counterexamples = List.copyOf(counterexamples);
        Objects.requireNonNull(distinctStates, "distinctStates");
        Objects.requireNonNull(interleavings, "interleavings");
    }

    /** The distinct findings, in the order found. */
    public Set<String> findings() {
        Set<String> out = new LinkedHashSet<>();
        counterexamples.forEach(c -> out.add(c.finding()));
        return out;
    }

    /** The shortest path found that reveals {@code finding}, if any path did. */
    public Optional<Counterexample> shortest(String finding) {
        return counterexamples.stream().filter(c -> c.finding().equals(finding)).findFirst();
    }
}
