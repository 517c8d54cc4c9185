package kvmsim.domain.explore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The threads that moved to reach a state, as a list shared with its prefixes: every search state keeps its path, and sharing
 * makes that one small object per state instead of a copy of the whole list.
 */
final class Path {

    static final Path EMPTY = new Path(null, -1, 0);

    private final Path prefix;
    private final int thread;
    private final int length;

    private Path(Path prefix, int thread, int length) {
        this.prefix = prefix;
        this.thread = thread;
        this.length = length;
    }

    Path then(int thread) {
        return new Path(this, thread, length + 1);
    }

    List<Integer> toList() {
        List<Integer> out = new ArrayList<>(length);
        for (Path p = this; p.length > 0; p = p.prefix) {
            out.add(p.thread);
        }
        Collections.reverse(out);
        return out;
    }
}
