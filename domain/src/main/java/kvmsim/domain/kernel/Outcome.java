package kvmsim.domain.kernel;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import kvmsim.domain.common.Errno;
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

    public static Outcome observed(Map<String, Object> observed) {
        return new Outcome(null, null, observed);
    }

    /** The syscall's return value: 0, or -1 with errno set. */
    public long ret() {
        return errno == null ? 0 : -1;
    }
}
