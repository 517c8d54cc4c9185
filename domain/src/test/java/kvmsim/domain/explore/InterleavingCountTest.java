package kvmsim.domain.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The multinomial, and the oracle mode really running that many interleavings. */
class InterleavingCountTest {

    @Test
    void multinomial() {
        assertEquals(BigInteger.ONE, InterleavingCount.of(5));
        assertEquals(BigInteger.ONE, InterleavingCount.of(0, 0));
        assertEquals(BigInteger.valueOf(6), InterleavingCount.of(2, 2));
        assertEquals(BigInteger.valueOf(6), InterleavingCount.of(1, 1, 1));
        assertEquals(BigInteger.valueOf(27720), InterleavingCount.of(3, 4, 5)); // 12! / (3! 4! 5!)
        assertEquals(BigInteger.valueOf(63063000), InterleavingCount.of(4, 4, 4, 4)); // 16! / 4!^4
        assertEquals(factorial(60).divide(factorial(20).pow(3)), InterleavingCount.of(20, 20, 20), "beyond long");
    }

    @Test
    void everyInterleavingModeRunsEachInterleavingOnce() {
        for (int[] shape : new int[][] {{1}, {2, 2}, {1, 1, 1}, {3, 2}, {2, 1, 2}, {1, 2, 3}, {2, 2, 2}, {0, 3, 1}}) {
            Program p = silent(shape);
            ExploreResult r = Explorer.explore(p, ExploreOptions.everyInterleaving());
            assertEquals(InterleavingCount.of(shape), r.interleavings());
            assertEquals(r.interleavings().longValueExact(), r.finishedStates(), "one finished run per interleaving");
            assertEquals(prefixes(shape), r.transitionsExecuted(), "one step per non-empty prefix, nothing merged or skipped");
            assertTrue(r.exhaustive());
            assertTrue(r.distinctStates().isEmpty(), "no caching, so no distinct-state count");
        }
    }

    // threads whose steps touch nothing, so no reduction could help and only the mode decides what runs
    private static Program silent(int[] shape) {
        List<List<Program.Op>> threads = new ArrayList<>();
        for (int n : shape) {
            threads.add(Collections.nCopies(n, m -> { }));
        }
        return new Program(threads);
    }

    // the number of non-empty interleaving prefixes: the sum, over positions p != 0, of the interleavings of p
    private static long prefixes(int[] shape) {
        return prefixesFrom(shape, new int[shape.length], 0) - 1;
    }

    private static long prefixesFrom(int[] shape, int[] p, int thread) {
        if (thread == shape.length) {
            return InterleavingCount.of(p).longValueExact();
        }
        long sum = 0;
        for (int k = 0; k <= shape[thread]; k++) {
            p[thread] = k;
            sum += prefixesFrom(shape, p, thread + 1);
        }
        p[thread] = 0;
        return sum;
    }

    private static BigInteger factorial(int n) {
        BigInteger f = BigInteger.ONE;
        for (int i = 2; i <= n; i++) {
            f = f.multiply(BigInteger.valueOf(i));
        }
        return f;
    }
}
