package kvmsim.domain.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A parsed, validated trace: its file name (for messages) and its steps in file order. */
public record Trace(String file, List<Step> steps) {

    public Trace {
        steps = List.copyOf(steps);
    }

    /** The POLICY step's values, if the trace starts with one. */
    public Map<String, String> policy() {
        for (Step s : steps) {
            if (s instanceof Step.Policy p) {
                return p.values();
            }
        }
        return Map.of();
    }

    /** The steps whose model is not built yet. */
    public List<Step.NotModelled> notModelled() {
        List<Step.NotModelled> out = new ArrayList<>();
        for (Step s : steps) {
            if (s instanceof Step.NotModelled n) {
                out.add(n);
            }
        }
        return out;
    }
}
