package kvmsim.domain.explore;

import java.math.BigInteger;

/** How many interleavings threads of given lengths have: the multinomial (n1+...+nk)! / (n1!...nk!). */
public final class InterleavingCount {

    private InterleavingCount() {
    }

    public static BigInteger of(int... lengths) {
        // a product of binomials C(n1+..+ni, ni): each thread in turn chooses its slots among those used so far;
        // exact in BigInteger and far cheaper than three factorials
        BigInteger count = BigInteger.ONE;
        int total = 0;
        for (int n : lengths) {
            if (n < 0) {
                throw new IllegalArgumentException("negative thread length " + n);
            }
            total += n;
            count = count.multiply(binomial(total, n));
        }
        return count;
    }

    private static BigInteger binomial(int n, int k) {
        BigInteger r = BigInteger.ONE;
        for (int i = 1; i <= k; i++) {
            // r * (n - k + i) / i stays integral at every i: it is C(n - k + i, i)
            r = r.multiply(BigInteger.valueOf(n - k + i)).divide(BigInteger.valueOf(i));
        }
        return r;
    }
}
