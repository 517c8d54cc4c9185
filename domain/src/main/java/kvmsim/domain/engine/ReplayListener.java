package kvmsim.domain.engine;

import kvmsim.domain.entity.Recorded;

/**
 * Receives a replay as it happens: each step's result once it is judged, and each event an
 * entity persisted, in order. A replay keeps only counts, so whoever wants the steps or events
 * listens for them (a report printer, a test).
 */
public interface ReplayListener {

    ReplayListener NONE = s -> {
    };

    void step(StepResult result);

    default void event(String entityPath, Recorded recorded) {
    }

    /** Asked between steps: true stops the replay there (the user interrupted it). */
    default boolean stopRequested() {
        return false;
    }
}
