package kvmsim.actors.history;

import java.util.List;
import java.util.Map;
import kvmsim.domain.history.StepRecord;

/**
 * A run's log as read back: how it started, its judged steps (empty for format 1), how it finished
 * ({@code null} if it never did: the replay was killed, interrupted, failed, or is still going),
 * why it failed, and where the user interrupted it. {@code stepEvents}: how many events each judged
 * step's entities persisted, by line and entity path ({@link RunLog.StepsJudged}); {@code null} when
 * the run did not keep them.
 */
public record StoredRun(String id, RunLog.RunStarted started, List<StepRecord> steps, RunLog.RunFinished finished,
        RunLog.RunFailed failed, RunLog.RunInterrupted interrupted, Map<Integer, Map<String, Integer>> stepEvents) {

    public int format() {
        return JournalFormat.of(started);
    }
}
