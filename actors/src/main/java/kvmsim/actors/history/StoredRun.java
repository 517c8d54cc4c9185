package kvmsim.actors.history;

import java.util.List;
import java.util.Map;
import kvmsim.domain.history.StepRecord;

/**
 * A run's log as read back: how it started, its judged steps (empty for format 1), how it finished
 * ({@code null} if it never did: the replay was killed, interrupted, failed, or is still going),
 * why it failed, and where the user interrupted it, as of its last {@code replay --resume}
 * ({@code resumes}: how many there were). {@code stepEvents}: how many events each judged step's
 * entities persisted, by line and entity path ({@link RunLog.StepsJudged}); {@code null} when the
 * run did not keep them.
 */
public record StoredRun(String id, RunLog.RunStarted started, List<StepRecord> steps, RunLog.RunFinished finished,
        RunLog.RunFailed failed, RunLog.RunInterrupted interrupted, int resumes,
        Map<Integer, Map<String, Integer>> stepEvents) {

    /** How a run ended, as {@code runs} shows it. */
    public enum Status { FINISHED, INTERRUPTED, FAILED }

    /**
     * Finished, failed, or interrupted: by the user, or with no record of its end at all (killed,
     * or still running in another process); {@code replay --resume} continues the last two.
     */
    public Status status() {
        return finished != null ? Status.FINISHED : failed != null ? Status.FAILED : Status.INTERRUPTED;
    }

    public int format() {
        return JournalFormat.of(started);
    }
}
