package kvmsim.domain.kernel;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.vcpu.GuestExit;

/**
 * What a step returned: the errno (null for success), the exit of a guest step, and for a CHECK
 * the observed value of each key asked for (a value may be null).
 */
public record Outcome(Errno errno, GuestExit exit, Map<String, Object> observed) {

    public Outcome {
        observed = Collections.unmodifiableMap(new LinkedHashMap<>(observed));
    }

    public static final Outcome OK = new Outcome(null, null, Map.of());

    public static Outcome of(Errno errno) {
        return errno == null ? OK : new Outcome(errno, null, Map.of());
    }

    public static Outcome guest(Errno errno, GuestExit exit) {
        return new Outcome(errno, exit, Map.of());
    }

    /** A guest access on a model with TLBs: {@code tlb} is the {@code expect.tlb} value, hit or miss. */
    public static Outcome guest(Errno errno, GuestExit exit, boolean tlbHit) {
        return new Outcome(errno, exit, Map.of("tlb", tlbHit ? "hit" : "miss"));
    }

    /** A successful step with results that {@code expect} keys judge, e.g. dirty_pages. */
    public static Outcome results(Map<String, Object> results) {
        return new Outcome(null, null, results);
    }

    public static Outcome observed(Map<String, Object> observed) {
        return new Outcome(null, null, observed);
    }

    /** A successful syscall that returns a count, e.g. KVM_RESET_DIRTY_RINGS. */
    public static Outcome returned(long ret) {
        return new Outcome(null, null, Map.of("ret", ret));
    }

    /** The syscall's return value: 0 or what it returned, or -1 with errno set. */
    public long ret() {
        return errno != null ? -1 : observed.get("ret") instanceof Long r ? r : 0;
    }
}
