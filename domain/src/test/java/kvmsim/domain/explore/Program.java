package kvmsim.domain.explore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A test model: threads of steps over named integer variables (absent = 0). Each step runs against a {@link Memory} that records
 * what it reads and writes, so footprints are complete by construction, including reads made only to decide a finding and reads
 * that depend on the state (a step that branches on a value).
 */
final class Program implements Interleaving<SortedMap<String, Integer>> {

    /** One step: reads and writes memory, reports findings. */
    interface Op {
        void run(Memory m);
    }

    /** The variables as one step sees them, recording every access. */
    static final class Memory {
        private final TreeMap<String, Integer> values;
        private final Set<String> reads = new HashSet<>();
        private final Set<String> writes = new HashSet<>();
        private final List<String> findings = new ArrayList<>();

        Memory(SortedMap<String, Integer> values) {
            this.values = new TreeMap<>(values);
        }

        int get(String var) {
            reads.add(var);
            return values.getOrDefault(var, 0);
        }

        void set(String var, int value) {
            writes.add(var);
            values.put(var, value);
        }

        void reveal(String finding) {
            findings.add(finding);
        }
    }

    private final List<List<Op>> threads;
    private final SortedMap<String, Integer> initial;

    Program(List<List<Op>> threads) {
        this(threads, new TreeMap<>());
    }

    Program(List<List<Op>> threads, SortedMap<String, Integer> initial) {
        this.threads = threads;
        this.initial = Collections.unmodifiableSortedMap(new TreeMap<>(initial));
    }

    @Override
    public int threads() {
        return threads.size();
    }

    @Override
    public int length(int thread) {
        return threads.get(thread).size();
    }

    @Override
    public SortedMap<String, Integer> initial() {
        return initial;
    }

    @Override
    public Transition<SortedMap<String, Integer>> step(SortedMap<String, Integer> s, int thread, int index) {
        Memory m = new Memory(s);
        threads.get(thread).get(index).run(m);
        // absent and 0 are the same value: drop zeros so equal memories have equal keys
        m.values.values().removeIf(v -> v == 0);
        return new Transition<>(Collections.unmodifiableSortedMap(m.values), new Footprint(m.reads, m.writes), m.findings);
    }

    @Override
    public Object key(SortedMap<String, Integer> s) {
        return s;
    }

    /** The values after replaying {@code path} (thread per step), with the findings of its last step; fails if it is no prefix. */
    static <S> List<String> replay(Interleaving<S> model, List<Integer> path) {
        int[] next = new int[model.threads()];
        S s = model.initial();
        List<String> last = List.of();
        for (int t : path) {
            if (next[t] >= model.length(t)) {
                throw new AssertionError("thread " + t + " has no step " + next[t] + " in path " + path);
            }
            Transition<S> tr = model.step(s, t, next[t]++);
            s = tr.next();
            last = tr.findings();
        }
        return last;
    }

    static Map<String, Integer> depths(ExploreResult r) {
        Map<String, Integer> out = new TreeMap<>();
        r.counterexamples().forEach(c -> out.put(c.finding(), c.depth()));
        return out;
    }
}
