package kvmsim.domain.explore;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of running one step: the next state, what the step touched, and the findings (invariant ids such as
 * {@code "stale-writable-tlb@vcpu/vm0/0"}) that the state after the step breaks. A finding belongs to the step that revealed it,
 * so the explorer can report the shortest prefix that ends with such a step.
 */
public record Transition<S>(S next, Footprint footprint, List<String> findings) {

    public Transition {
        Objects.requireNonNull(next, "next");
        Objects.requireNonNull(footprint, "footprint");
        findings = List.copyOf(findings);
    }
}
