package kvmsim.actors.engine;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kvmsim.domain.engine.Lookahead.Planned;
import kvmsim.domain.engine.Lookahead.Send;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;

/**
 * Where an interrupted run stands, for {@code replay --resume}: how many steps its log holds
 * (judged), and how many events each entity's journal holds once the broadcasts it was recovered
 * in the middle of completed. Each entity gets its commands in trace order and persists each
 * command's events in one write, so its journal is a prefix of what the plan gives it: a planned
 * command whose events are all there was applied (its reply is the plan's, and it is not sent
 * again), one with none of them there was not. Asked for every planned step, in trace order.
 */
final class ResumePoint {

    private final long judged;
    private final Map<EntityId, Long> journal;
    // the events the plan gave each entity so far
    private final Map<EntityId, Long> planned = new HashMap<>();

    ResumePoint(long judged, Map<EntityId, Long> journal) {
        this.judged = judged;
        this.journal = Map.copyOf(journal);
    }

    /** The steps the run log holds: they are judged again in memory, not sent. */
    long judged() {
        return judged;
    }

    /**
     * For each of the step's commands, in order: null if it must be sent, else the number of events
     * each entity it persisted events at had before it (empty for a command that persisted none).
     * Throws if the journal holds part of a command, or lacks one of a step the log holds.
     */
    @SuppressWarnings("unchecked")
    Map<EntityId, Long>[] applied(Planned p) {
        List<Send> sends = p.sends();
        Map<EntityId, Long>[] out = new Map[sends.size()];
        for (int i = 0; i < sends.size(); i++) {
            Send s = sends.get(i);
            Map<EntityId, Long> counts = new LinkedHashMap<>();
            for (Emitted e : s.reply().emitted(s.to())) {
                counts.merge(e.entity(), 1L, Long::sum);
            }
            Map<EntityId, Long> before = new LinkedHashMap<>();
            boolean all = true;
            boolean none = true;
            for (Map.Entry<EntityId, Long> c : counts.entrySet()) {
                long b = planned.getOrDefault(c.getKey(), 0L);
                long at = journal.getOrDefault(c.getKey(), 0L);
                before.put(c.getKey(), b);
                all &= at >= b + c.getValue();
                none &= at <= b;
            }
            if (counts.isEmpty()) {
                // no event to tell by: its entity's later commands tell whether it came before them;
                // sending it again would change nothing either way
                long b = planned.getOrDefault(s.to(), 0L);
                all = p.index() < judged || journal.getOrDefault(s.to(), 0L) > b;
                none = !all;
            }
            String where = "line " + p.step().line() + " " + p.step().op() + ": " + s.to().path();
            if (!all && !none) {
                throw new IllegalStateException(where + ": the journal holds part of the events of one command "
                        + "(expected " + counts + " after " + before + ", found " + journalOf(counts) + ")");
            }
            if (!all && p.index() < judged) {
                throw new IllegalStateException(where + ": the run log judged this step but the journal lacks its "
                        + "events (expected " + counts + " after " + before + ", found " + journalOf(counts) + ")");
            }
            out[i] = all ? before : null;
            counts.forEach((id, n) -> planned.merge(id, n, Long::sum));
        }
        return out;
    }

    private Map<EntityId, Long> journalOf(Map<EntityId, Long> counts) {
        Map<EntityId, Long> at = new LinkedHashMap<>();
        counts.keySet().forEach(id -> at.put(id, journal.getOrDefault(id, 0L)));
        return at;
    }
}
