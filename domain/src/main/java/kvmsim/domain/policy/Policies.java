package kvmsim.domain.policy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Kernel variants a run chooses (design.md, "Policies"). The first value of each key is the
 * default: the behaviour the review asked for or upstream merged.
 */
public record Policies(Map<String, String> values) {

    public static final String DIRTY_LOG_FLUSH = "dirty-log-flush";
    public static final String SANITISE_TAGS = "sanitise-tags";
    public static final String GPC_DIRECT_MAP = "gpc-direct-map";
    public static final String PKVM_OWNER_BITS = "pkvm-owner-bits";

    /** Every key with its allowed values, default first. */
    public static final Map<String, List<String>> KNOWN = known();

    private static Map<String, List<String>> known() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put(DIRTY_LOG_FLUSH, List.of("unconditional", "if-modified"));
        m.put(SANITISE_TAGS, List.of("mte-only", "on-lock"));
        m.put(GPC_DIRECT_MAP, List.of("refcounted", "exclusive", "unchecked"));
        m.put(PKVM_OWNER_BITS, List.of("8", "32"));
        return java.util.Collections.unmodifiableMap(m);
    }

    public Policies {
        values = Map.copyOf(values);
    }

    public static Policies defaults() {
        Map<String, String> m = new TreeMap<>();
        KNOWN.forEach((k, v) -> m.put(k, v.get(0)));
        return new Policies(m);
    }

    /** Why key=value is not a policy, or null if it is. */
    public static String problem(String key, String value) {
        List<String> allowed = KNOWN.get(key);
        if (allowed == null) {
            return "unknown policy '" + key + "' (known: " + String.join(", ", KNOWN.keySet()) + ")";
        }
        if (!allowed.contains(value)) {
            return "policy " + key + " takes " + String.join(" or ", allowed) + ", not '" + value + "'";
        }
        return null;
    }

    /** These policies with the given ones laid over them. */
    public Policies with(Map<String, String> overrides) {
        Map<String, String> m = new TreeMap<>(values);
        m.putAll(overrides);
        return new Policies(m);
    }

    public String get(String key) {
        return values.get(key);
    }

    /** Of {@code values} (a run's policies, by key), those that differ from the defaults, sorted by key. */
    public static SortedMap<String, String> changedFromDefaults(Map<String, String> values) {
        Map<String, String> defaults = defaults().values();
        SortedMap<String, String> changed = new TreeMap<>();
        values.forEach((k, v) -> {
            if (!v.equals(defaults.get(k))) {
                changed.put(k, v);
            }
        });
        return changed;
    }

    /** sanitise-tags=on-lock: v5 06/38 as posted, SANITISE_TAGS on every lock. */
    public boolean sanitiseTagsOnLock() {
        return "on-lock".equals(values.get(SANITISE_TAGS));
    }

    /** dirty-log-flush=unconditional: b64d740, flush after enabling dirty logging whether or not an SPTE changed. */
    public boolean dirtyLogFlushUnconditional() {
        return !"if-modified".equals(values.get(DIRTY_LOG_FLUSH));
    }
}
