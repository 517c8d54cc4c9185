package kvmsim.domain.explore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Runs every interleaving of an {@link Interleaving}'s threads and reports, for each finding any step reveals, the shortest
 * interleaving prefix that reveals it. Pure: no I/O, no threads, no clock (the caller times the search).
 *
 * <h2>Breadth-first, layer by layer</h2>
 * A search state is (thread positions, model state). Every prefix reaching positions p has exactly p1+...+pk steps, so a state's
 * depth is fixed by its positions and all prefixes reaching it lie in one layer. The search expands layer d completely before
 * layer d+1, so:
 * <ul>
 *   <li>the first time a finding is revealed, at the d-th step, d is minimal (every shallower transition has run); this holds even
 *       when {@code maxStates} stops the search inside a layer;
 *   <li>with state caching (key = positions and {@link Interleaving#key}), a state can only be reached again from the layer just
 *       before its own, that is before it is expanded: never after, never deeper. The cache therefore spans only the layer being
 *       built, and Godefroid's rule for a state revisited with sleep set Z when it was stored with Z' (run Z' \ Z as well, store
 *       Z' &#8745; Z) reduces to: intersect the sleep sets of all arrivals, then expand the state once with the result.
 * </ul>
 *
 * <h2>Sleep sets</h2>
 * At a state n with sleep set Z(n) the search runs the enabled threads not in Z(n) in increasing thread index t1 &lt; t2 &lt; ...;
 * the state reached through ti gets {u in Z(n) + {t1..t(i-1)} : u's footprint does not conflict with ti's at n}. The initial state
 * has Z = {}. A cached state keeps the intersection over its arrivals.
 *
 * <h2>Why nothing is lost</h2>
 * Assume the {@link Interleaving} contracts (complete footprints, faithful keys). Call two executions equivalent when one becomes
 * the other by swapping adjacent steps that are independent (footprints do not conflict) at the state where they run; equivalent
 * executions end in equal-key states and every step keeps its footprint and findings. <b>Claim:</b> for every execution w from
 * the initial state, the lexicographically smallest (by thread index) execution w* equivalent to w is run, step by step, by the
 * search. Suppose not, and let step k be the first of w* not run, from the state n_k its prefix reaches (which was visited). The
 * thread t = w*[k] is enabled there, so t is in Z(n_k). The arrival at n_k through a = w*[k-1] from n_{k-1} did run, and Z(n_k)
 * is a subset of the sleep set of every arrival, so t is independent of a at n_{k-1} and either t ran at n_{k-1} before a (t &lt;
 * a) or t is in Z(n_{k-1}). In the second case repeat one step back; Z(initial) is empty, so this stops at some j &lt; k with t
 * &lt; w*[j] and t independent of each of w*[j..k-1] at the state where that step runs (a sleeping step keeps its footprint, by
 * the contract). Swapping t back to position j gives an equivalent execution smaller than w*: a contradiction.
 * <br>Hence every reachable state is visited (sleep sets skip transitions, never states), and if the last step of some w of
 * length d reveals finding f in the full graph, the same step occurs in w* (also of length d) with the same findings on a
 * transition the search ran, at depth at most d: the search records f at its minimal depth. Without caching every state has a
 * single arrival and the argument is the same; without reduction every sleep set is empty.
 *
 * <p>Why the intersection and not something cheaper: the union of the arrivals' sleep sets is unsound (it loses reachable
 * states; ExplorerPropertyTest pins models where it does). Keeping only the first arrival's set happens to be sound here too:
 * a layer lists its states in lexicographic order of their first path, so if w* is chosen smallest among all executions that
 * reach its end state (or reveal f at depth d), not only the equivalent ones, the first arrival at each state along it is its
 * own prefix and the argument above goes through. That ran about 6% fewer transitions on the random test models; the
 * intersection is kept because its argument does not depend on the order within a layer.
 *
 * <p>Cost: without caching a layer holds every prefix of its length, exponential in the number of steps; that mode is the oracle
 * for small models. Sleeping steps are not re-run: their footprint is kept in the {@link SleepSet}.
 */
public final class Explorer<S> {

    private final Interleaving<S> model;
    private final ExploreOptions options;
    private final int[] lengths;
    private final SleepSet noneAsleep;
    private final Map<String, Path> shortest = new LinkedHashMap<>();
    private long statesExpanded;
    private long transitionsExecuted;
    private long distinctStates;
    private long finishedStates;

    private Explorer(Interleaving<S> model, ExploreOptions options) {
        this.model = Objects.requireNonNull(model, "model");
        this.options = Objects.requireNonNull(options, "options");
        int threads = model.threads();
        if (threads < 1) {
            throw new IllegalArgumentException("a model needs at least one thread, got " + threads);
        }
        this.lengths = new int[threads];
        for (int t = 0; t < threads; t++) {
            lengths[t] = model.length(t);
            if (lengths[t] < 0) {
                throw new IllegalArgumentException("thread " + t + " has negative length " + lengths[t]);
            }
        }
        this.noneAsleep = SleepSet.empty(threads);
    }

    /** Searches {@code model} as {@code options} say. */
    public static <S> ExploreResult explore(Interleaving<S> model, ExploreOptions options) {
        return new Explorer<>(model, options).run();
    }

    private ExploreResult run() {
        Layer<S> layer = new Layer<>(options.stateCaching());
        S initial = Objects.requireNonNull(model.initial(), "initial state");
        layer.add(initial, keyOf(initial), Positions.start(lengths.length), Path.EMPTY, noneAsleep);
        distinctStates = 1;
        boolean cut = false;
        while (!layer.isEmpty() && !cut) {
            Layer<S> next = new Layer<>(options.stateCaching());
            for (Layer.Node<S> node : layer.nodes()) {
                if (finished(node.positions)) {
                    finishedStates++;
                    continue;
                }
                if (statesExpanded >= options.maxStates()) {
                    cut = true;
                    break;
                }
                statesExpanded++;
                expand(node, next);
            }
            layer = next;
        }
        List<Counterexample> found = new ArrayList<>();
        shortest.forEach((finding, path) -> found.add(new Counterexample(finding, path.toList())));
        return new ExploreResult(found, statesExpanded, transitionsExecuted,
                options.stateCaching() ? OptionalLong.of(distinctStates) : OptionalLong.empty(),
                finishedStates, InterleavingCount.of(lengths), !cut);
    }

    private void expand(Layer.Node<S> node, Layer<S> next) {
        // `covered` is Z(n) plus the threads already run from n: what the next successor may leave asleep
        SleepSet covered = node.sleep;
        for (int t = 0; t < lengths.length; t++) {
            int index = node.positions.of(t);
            if (index >= lengths[t] || node.sleep.contains(t)) {
                continue;
            }
            Transition<S> tr = model.step(node.state, t, index);
            if (tr == null) {
                throw new NullPointerException("step " + index + " of thread " + t + " returned null");
            }
            transitionsExecuted++;
            Path path = node.path.then(t);
            for (String f : tr.findings()) {
                shortest.putIfAbsent(f, path); // breadth-first: the first path is a shortest one
            }
            SleepSet sleep = options.reduction() ? covered.independentOf(tr.footprint()) : noneAsleep;
            if (next.add(tr.next(), keyOf(tr.next()), node.positions.advance(t), path, sleep)) {
                distinctStates++;
            }
            if (options.reduction()) {
                covered = covered.with(t, tr.footprint());
            }
        }
    }

    private Object keyOf(S state) {
        // the key is only needed to merge states; without caching, skip computing it
        return options.stateCaching() ? Objects.requireNonNull(model.key(state), "state key") : null;
    }

    private boolean finished(Positions p) {
        for (int t = 0; t < lengths.length; t++) {
            if (p.of(t) < lengths[t]) {
                return false;
            }
        }
        return true;
    }
}
