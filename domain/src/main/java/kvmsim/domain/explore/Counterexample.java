package kvmsim.domain.explore;

import java.util.List;
import java.util.Objects;

/**
 * The shortest interleaving prefix found that reveals {@code finding} at its last step: {@code path.get(i)} is the thread that
 * made step {@code i + 1}. Replaying it from the initial state (each thread runs its next step) reproduces the finding.
 */
public record Counterexample(String finding, List<Integer> path) {

    public Counterexample {
        Objects.requireNonNull(finding, "finding");
        path = List.copyOf(path);
        if (path.isEmpty()) {
            throw new IllegalArgumentException("a finding is revealed by a step, so its path has at least one step");
        }
    }

    /** The number of steps, i.e. the depth of the step that reveals the finding (1-based). */
    public int depth() {
        return path.size();
    }

    @Override
    public String toString() {
        return finding + " after " + depth() + " steps: threads " + path;
    }
}
