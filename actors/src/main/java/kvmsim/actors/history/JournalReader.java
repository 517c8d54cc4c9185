package kvmsim.actors.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.javadsl.Sink;

/** Reads runs and their events back from the journal (pekko-persistence-query on the jdbc journal). */
public final class JournalReader {

    /** One stored event with where it came from; {@code ordering} is the journal's global order. */
    public record Stored(long ordering, String persistenceId, long sequenceNr, Object event) {
    }

    private final ActorSystem<?> system;
    private final JdbcReadJournal journal;

    public JournalReader(ActorSystem<?> system) {
        this.system = system;
        this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class,
                JdbcReadJournal.Identifier());
    }

    /** Every persistence id in the journal, sorted. */
    public List<String> persistenceIds() {
        return new ArrayList<>(new TreeSet<>(await(journal.currentPersistenceIds().runWith(Sink.seq(), system))));
    }

    /** The run ids that have a run log, oldest first by their first event. */
    public List<String> runs() {
        List<Stored> starts = new ArrayList<>();
        for (String pid : persistenceIds()) {
            if (pid.endsWith(RunLog.SUFFIX)) {
                List<Stored> ev = events(pid);
                if (!ev.isEmpty()) {
                    starts.add(ev.get(0));
                }
            }
        }
        starts.sort(Comparator.comparingLong(Stored::ordering));
        List<String> out = new ArrayList<>();
        starts.forEach(s -> out.add(s.persistenceId().substring(0, s.persistenceId().length() - RunLog.SUFFIX.length())));
        return out;
    }

    public List<Stored> events(String persistenceId) {
        List<EventEnvelope> envs = await(journal.currentEventsByPersistenceId(persistenceId, 0, Long.MAX_VALUE)
                .runWith(Sink.seq(), system));
        List<Stored> out = new ArrayList<>();
        for (EventEnvelope e : envs) {
            long ordering = e.offset() instanceof Sequence s ? s.value() : 0;
            out.add(new Stored(ordering, e.persistenceId(), e.sequenceNr(), e.event()));
        }
        return out;
    }

    /** The events of a run's entities (not its log), oldest first in the journal's global order. */
    public List<Stored> runEvents(String runId, String entityPrefix) {
        List<Stored> out = new ArrayList<>();
        for (String pid : persistenceIds()) {
            if (pid.startsWith(runId + "/") && !pid.endsWith(RunLog.SUFFIX)
                    && (entityPrefix == null || pid.substring(runId.length() + 1).startsWith(entityPrefix))) {
                out.addAll(events(pid));
            }
        }
        out.sort(Comparator.comparingLong(Stored::ordering));
        return out;
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the journal: " + e.getMessage(), e);
        }
    }
}
