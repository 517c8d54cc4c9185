package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.Recorded;

/** A listener that keeps every step result and every event by entity path: for tests and small traces. */
public final class RunRecorder implements ReplayListener {

    private final List<StepResult> steps = new ArrayList<>();
    private final Map<String, List<Recorded>> events = new LinkedHashMap<>();

    @Override
    public void step(StepResult result) {
        steps.add(result);
    }

    @Override
    public void event(String entityPath, Recorded recorded) {
        events.computeIfAbsent(entityPath, k -> new ArrayList<>()).add(recorded);
    }

    public List<StepResult> steps() {
        return List.copyOf(steps);
    }

    /** The events each entity persisted, by entity path, oldest first. */
    public Map<String, List<Recorded>> events() {
        Map<String, List<Recorded>> copy = new LinkedHashMap<>();
        events.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return copy;
    }
}
