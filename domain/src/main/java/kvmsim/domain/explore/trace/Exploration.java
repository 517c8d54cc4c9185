package kvmsim.domain.explore.trace;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.Expectations;
import kvmsim.domain.engine.Mismatch;
import kvmsim.domain.explore.Counterexample;
import kvmsim.domain.explore.ExploreOptions;
import kvmsim.domain.explore.ExploreResult;
import kvmsim.domain.explore.Explorer;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;

/**
 * {@code kvmsim explore} without its input and output: runs a trace's set-up prefix, then every order of its threads that the
 * {@link Explorer} must try, and turns each finding into a {@link Found}: the steps in the order that breaks the invariant and
 * the violation with its event chain, as the online check reports it.
 *
 * @param split       the trace's prefix and threads
 * @param policies    the run's policies
 * @param prefixFound violations the prefix reveals (every order has them)
 * @param search      what the search did; its counterexamples are findings after the prefix
 * @param found       one per finding, prefix ones first, then by increasing depth
 */
public record Exploration(ThreadSplit split, Policies policies, List<Found> prefixFound, ExploreResult search,
        List<Found> found) {

    /**
     * One broken invariant: the shortest order of steps that breaks it (the prefix, then the threads' steps as run), the
     * violation with its chain, and every invariant broken along that order (what a replay of it reports).
     *
     * @param threads    the thread of each step after the prefix, in order
     * @param mismatches for each step, how its {@code expect} fails in this order (empty when it holds or has none)
     */
    public record Found(Violation violation, List<Step> steps, List<String> threads, Set<String> brokenOnTheWay,
            List<List<Mismatch>> mismatches) {

        public Found {
            steps = List.copyOf(steps);
            threads = List.copyOf(threads);
            brokenOnTheWay = Set.copyOf(brokenOnTheWay);
            mismatches = mismatches.stream().map(List::copyOf).toList();
            if (mismatches.size() != steps.size()) {
                throw new IllegalArgumentException("one list of mismatches per step");
            }
        }

        /** The number of steps after the set-up prefix. */
        public int depth() {
            return threads.size();
        }
    }

    public Exploration {
        prefixFound = List.copyOf(prefixFound);
        found = List.copyOf(found);
    }

    /** Explores {@code steps} (a trace in file order) under {@code policies}. */
    public static Exploration explore(Iterable<Step> steps, Policies policies, ExploreOptions options) {
        ThreadSplit split = ThreadSplit.of(steps);
        KernelState s = KernelState.INITIAL;
        List<Step> done = new ArrayList<>();
        List<List<Mismatch>> doneMismatches = new ArrayList<>();
        List<Found> prefixFound = new ArrayList<>();
        Set<String> broken = new LinkedHashSet<>();
        for (Step step : split.prefix()) {
            TraceInterleaving.Outcome out = TraceInterleaving.run(s, step, policies);
            s = out.next();
            done.add(step);
            out.revealed().forEach(v -> broken.add(v.invariant()));
            doneMismatches.add(Expectations.judge(step, out.result(), broken));
            for (Violation v : out.revealed()) {
                prefixFound.add(new Found(v, done, List.of(), broken, doneMismatches));
            }
        }
        ExploreResult search;
        if (split.threads().isEmpty()) {
            // every step is in the prefix: one order, already run and audited
            search = new ExploreResult(List.of(), 0, 0, options.stateCaching() ? OptionalLong.of(1) : OptionalLong.empty(),
                    1, BigInteger.ONE, true);
        } else {
            search = Explorer.explore(new TraceInterleaving(s, split.threads(), policies), options);
        }
        List<Found> found = new ArrayList<>(prefixFound);
        for (Counterexample c : search.counterexamples()) {
            found.add(replayPath(split, s, done, doneMismatches, broken, c, policies));
        }
        return new Exploration(split, policies, prefixFound, search, found);
    }

    // runs the counterexample's order again from the prefix's end to get the violation with its chain
    private static Found replayPath(ThreadSplit split, KernelState afterPrefix, List<Step> prefix,
            List<List<Mismatch>> prefixMismatches, Set<String> prefixBroken, Counterexample c, Policies policies) {
        KernelState s = afterPrefix;
        List<Step> steps = new ArrayList<>(prefix);
        List<List<Mismatch>> mismatches = new ArrayList<>(prefixMismatches);
        List<String> threads = new ArrayList<>();
        Set<String> broken = new LinkedHashSet<>(prefixBroken);
        int[] next = new int[split.threads().size()];
        Violation match = null;
        for (int t : c.path()) {
            ThreadSplit.Thread thread = split.threads().get(t);
            Step step = thread.steps().get(next[t]++);
            TraceInterleaving.Outcome out = TraceInterleaving.run(s, step, policies);
            s = out.next();
            steps.add(step);
            threads.add(thread.name());
            out.revealed().forEach(v -> broken.add(v.invariant()));
            mismatches.add(Expectations.judge(step, out.result(), broken));
            for (Violation v : out.revealed()) {
                if (match == null && TraceInterleaving.finding(v).equals(c.finding())) {
                    match = v;
                }
            }
        }
        if (match == null) {
            throw new IllegalStateException("the order found for " + c.finding() + " does not reveal it again: " + c);
        }
        return new Found(match, steps, threads, broken, mismatches);
    }

    /** The invariants some order breaks. */
    public Set<String> brokenInvariants() {
        Set<String> out = new LinkedHashSet<>();
        found.forEach(f -> out.add(f.violation().invariant()));
        return out;
    }
}
