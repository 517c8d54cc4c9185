package kvmsim.domain.explore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The search states at one depth, in the order they were reached. With state caching, a state reached again (same thread
 * positions, equal state key) is merged into the first one: its sleep set becomes the intersection of the two, its path stays the
 * first one (every path to it has the same length).
 */
final class Layer<S> {

    /** One search state. {@code sleep} is the only mutable part: it shrinks while the previous depth is still reaching the state. */
    static final class Node<S> {
        final S state;
        final Positions positions;
        final Path path;
        SleepSet sleep;

        Node(S state, Positions positions, Path path, SleepSet sleep) {
            this.state = state;
            this.positions = positions;
            this.path = path;
            this.sleep = sleep;
        }
    }

    private record CacheKey(Positions positions, Object stateKey) {
    }

    private final List<Node<S>> nodes = new ArrayList<>();
    private final Map<CacheKey, Node<S>> cache; // null without state caching

    Layer(boolean stateCaching) {
        this.cache = stateCaching ? new HashMap<>() : null;
    }

    /**
     * Adds a state reached with sleep set {@code sleep}; {@code stateKey} is ignored without caching. Returns true when the state
     * is new to this layer (always, without caching).
     */
    boolean add(S state, Object stateKey, Positions positions, Path path, SleepSet sleep) {
        if (cache != null) {
            CacheKey k = new CacheKey(positions, stateKey);
            Node<S> seen = cache.get(k);
            if (seen != null) {
                seen.sleep = seen.sleep.intersect(sleep);
                return false;
            }
            Node<S> n = new Node<>(state, positions, path, sleep);
            cache.put(k, n);
            nodes.add(n);
            return true;
        }
        nodes.add(new Node<>(state, positions, path, sleep));
        return true;
    }

    List<Node<S>> nodes() {
        return nodes;
    }

    boolean isEmpty() {
        return nodes.isEmpty();
    }
}
