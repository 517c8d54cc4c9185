package kvmsim.domain.explore;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/**
 * Random {@link Program}s, one per seed and {@link Shape}: a few threads of a few steps over 2-4 variables holding 0..2 (few
 * values, so different orders often reach equal states and caching has something to merge). Steps compute written values from
 * read ones, branch on a value (so what a step touches depends on the state), only read, or do nothing; many then test a
 * predicate on the state after the step and reveal a finding tagged by the step, or shared by every step testing the same
 * predicate.
 */
final class RandomModels {

    /** Bounds on a model; models with more than {@code maxInterleavings} interleavings are redrawn. */
    record Shape(int maxThreads, int maxLength, int maxInterleavings) {
    }

    /** 2-4 threads of 1-4 steps, small enough for the oracle (every interleaving run one by one). */
    static final Shape SMALL = new Shape(4, 4, 5_000);

    /** 2-4 threads of 1-5 steps: too big for the oracle on many seeds, checked against caching alone. */
    static final Shape LARGE = new Shape(4, 5, 50_000);

    private RandomModels() {
    }

    static Program generate(long seed) {
        return generate(seed, SMALL);
    }

    static Program generate(long seed, Shape shape) {
        Random rnd = new Random(seed);
        int vars = 2 + rnd.nextInt(3);
        int threads = 2 + rnd.nextInt(shape.maxThreads() - 1);
        int[] lengths = new int[threads];
        BigInteger max = BigInteger.valueOf(shape.maxInterleavings());
        do {
            for (int t = 0; t < threads; t++) {
                lengths[t] = 1 + rnd.nextInt(shape.maxLength());
            }
        } while (InterleavingCount.of(lengths).compareTo(max) > 0);
        List<List<Program.Op>> code = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Program.Op> steps = new ArrayList<>();
            for (int i = 0; i < lengths[t]; i++) {
                steps.add(then(effect(rnd, vars), finding(rnd, vars, "@t" + t + "s" + i)));
            }
            code.add(steps);
        }
        TreeMap<String, Integer> initial = new TreeMap<>();
        for (int v = 0; v < vars; v++) {
            int value = rnd.nextInt(3);
            if (value != 0) {
                initial.put(var(v), value);
            }
        }
        return new Program(code, initial);
    }

    private static Program.Op effect(Random rnd, int vars) {
        int kind = rnd.nextInt(20);
        if (kind < 10) { // compute: every written variable gets a function of every read one
            List<String> reads = subset(rnd, vars, 0.4);
            List<String> writes = subset(rnd, vars, 0.4);
            int c = rnd.nextInt(3);
            return m -> {
                int sum = c;
                for (String r : reads) {
                    sum += m.get(r);
                }
                for (int i = 0; i < writes.size(); i++) {
                    m.set(writes.get(i), (sum + i) % 3);
                }
            };
        }
        if (kind < 15) { // branch: which variable is written depends on a value read
            String a = var(rnd.nextInt(vars));
            String b = var(rnd.nextInt(vars));
            String c = var(rnd.nextInt(vars));
            int k = rnd.nextInt(3);
            return m -> {
                if (m.get(a) % 2 == 0) {
                    m.set(b, (m.get(b) + 1) % 3);
                } else {
                    m.set(c, k);
                }
            };
        }
        if (kind < 18) { // read only
            List<String> reads = subset(rnd, vars, 0.5);
            return m -> reads.forEach(m::get);
        }
        return m -> { };
    }

    private static Program.Op finding(Random rnd, int vars, String stepTag) {
        int kind = rnd.nextInt(10);
        if (kind < 4) {
            return m -> { };
        }
        String x = var(rnd.nextInt(vars));
        String y = var(rnd.nextInt(vars));
        // tagged findings are specific to the step; untagged ones can come from any step testing the same predicate
        String tag = rnd.nextBoolean() ? stepTag : "";
        if (kind < 8) {
            String id = "eq(" + x + "," + y + ")" + tag;
            return m -> {
                if (!x.equals(y) && m.get(x) == m.get(y)) {
                    m.reveal(id);
                }
            };
        }
        String id = x + "==2" + tag;
        return m -> {
            if (m.get(x) == 2) {
                m.reveal(id);
            }
        };
    }

    private static Program.Op then(Program.Op first, Program.Op second) {
        return m -> {
            first.run(m);
            second.run(m);
        };
    }

    private static List<String> subset(Random rnd, int vars, double p) {
        List<String> out = new ArrayList<>();
        for (int v = 0; v < vars; v++) {
            if (rnd.nextDouble() < p) {
                out.add(var(v));
            }
        }
        return out;
    }

    private static String var(int v) {
        return "v" + v;
    }
}
