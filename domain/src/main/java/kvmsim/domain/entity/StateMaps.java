package kvmsim.domain.entity;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.pcollections.TreePMap;
import org.pcollections.TreePSet;

/**
 * The maps and sets entity states keep, persistent: an event that changes one entry makes a new
 * map that shares every other entry with the state before it (pcollections' balanced trees,
 * O(log n) a change), where a copy of the whole map cost O(n) an event and made a guest's run
 * quadratic in the pages it touched. States still hand out plain {@link Map}s and compare by
 * value (AbstractMap equality), so a state read back from JSON, or built by a test from
 * {@code Map.of}, equals the one the deciders built. Keys are sorted, so iteration is in key order.
 */
public final class StateMaps {

    private StateMaps() {
    }

    /** {@code m} as a persistent sorted map: itself if it is one, else a copy; null keys and values are refused. */
    public static <K extends Comparable<? super K>, V> TreePMap<K, V> sorted(Map<K, V> m) {
        if (m instanceof TreePMap<K, V> p) {
            return p;
        }
        m.forEach((k, v) -> {
            Objects.requireNonNull(k, "key");
            Objects.requireNonNull(v, "value");
        });
        return TreePMap.from(m);
    }

    /** {@code s} as a persistent sorted set: itself if it is one, else a copy; null elements are refused. */
    public static <E extends Comparable<? super E>> TreePSet<E> sortedSet(Set<E> s) {
        if (s instanceof TreePSet<E> p) {
            return p;
        }
        s.forEach(e -> Objects.requireNonNull(e, "element"));
        return TreePSet.from(s);
    }

    /** {@code m} with {@code key} mapped to {@code value}; {@code m} is unchanged. */
    public static <K extends Comparable<? super K>, V> TreePMap<K, V> with(Map<K, V> m, K key, V value) {
        return sorted(m).plus(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    }

    /** {@code m} without {@code key}; {@code m} is unchanged. */
    public static <K extends Comparable<? super K>, V> TreePMap<K, V> without(Map<K, V> m, K key) {
        return sorted(m).minus(key);
    }
}
