package kvmsim.domain.trace;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A trace held in memory: its file name (for messages) and its steps in file order. */
public record Trace(String file, List<Step> steps) implements TraceSource {

    public Trace {
        steps = List.copyOf(steps);
    }

    @Override
    public Map<String, String> policy() {
        for (Step s : steps) {
            if (s instanceof Step.Policy p) {
                return p.values();
            }
        }
        return Map.of();
    }

    @Override
    public Set<String> expectedViolations() {
        Set<String> ids = new HashSet<>();
        steps.forEach(s -> ids.addAll(expectedViolations(s)));
        return ids;
    }

    /** The invariant ids a {@code violations} CHECK step lists; empty for any other step. */
    public static Set<String> expectedViolations(Step step) {
        Set<String> ids = new HashSet<>();
        if (step instanceof Step.Check c) {
            for (CheckItem i : c.items()) {
                if (i.key() == CheckKey.VIOLATIONS && i.expected() instanceof Collection<?> listed) {
                    listed.forEach(x -> ids.add(x.toString()));
                }
            }
        }
        return ids;
    }

    @Override
    public long stepCount() {
        return steps.size();
    }

    @Override
    public List<NotModelled> notModelled() {
        return TraceRules.notModelledIn(steps);
    }
}
