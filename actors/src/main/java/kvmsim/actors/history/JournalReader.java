package kvmsim.actors.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.history.RunHistory;
import kvmsim.domain.history.StepRecord;
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

    /**
     * A run's log; throws {@link JournalFormat.TooNew} for a run written by a newer kvmsim,
     * {@link UnreadableRow} for a log row it cannot decode, and returns null for an id with no log.
     */
    public StoredRun run(String runId) {
        RunLog.RunStarted started = null;
        RunLog.RunFinished finished = null;
        RunLog.RunFailed failed = null;
        RunLog.RunInterrupted interrupted = null;
        List<StepRecord> steps = new ArrayList<>();
        int resumes = 0;
        Map<Integer, Map<String, Integer>> stepEvents = null;
        for (Stored s : events(runId + RunLog.SUFFIX)) {
            switch ((RunLog.RunEvent) s.event()) {
                case RunLog.RunStarted st -> {
                    started = st;
                    if (JournalFormat.of(st) > JournalFormat.CURRENT) {
                        throw new JournalFormat.TooNew("run " + runId + " was written in journal format "
                                + JournalFormat.of(st) + "; this kvmsim reads formats up to " + JournalFormat.CURRENT
                                + ": read it with a newer kvmsim");
                    }
                }
                case RunLog.StepsJudged j -> {
                    steps.addAll(j.steps());
                    if (j.events() != null) {
                        stepEvents = stepEvents == null ? new TreeMap<>() : stepEvents;
                        for (var line : j.events().entrySet()) {
                            Map<String, Integer> counts = stepEvents.computeIfAbsent(line.getKey(), l -> new TreeMap<>());
                            line.getValue().forEach((e, n) -> counts.merge(e, n, Integer::sum));
                        }
                    }
                }
                case RunLog.RunFinished f -> finished = f;
                case RunLog.RunFailed f -> failed = f;
                case RunLog.RunInterrupted i -> interrupted = i;
                case RunLog.RunResumed r -> {
                    // the run went on from there: what stopped it before no longer holds
                    failed = null;
                    interrupted = null;
                    resumes++;
                }
            }
        }
        return started == null ? null : new StoredRun(runId, started, steps, finished, failed, interrupted, resumes,
                stepEvents);
    }

    /** A run as the domain's history tools take it: its log and its entities' events in journal order. */
    public RunHistory history(StoredRun run, LongConsumer progress) {
        return history(run, runEvents(run.id(), null, progress));
    }

    /** As above, from the run's rows already read ({@link #runEvents}). */
    public RunHistory history(StoredRun run, List<Stored> rows) {
        List<Emitted> events = new ArrayList<>();
        for (Stored s : rows) {
            events.add(new Emitted(EntityId.parse(s.persistenceId().substring(run.id().length() + 1)),
                    (Recorded) s.event()));
        }
        return new RunHistory(run.id(), run.started().trace(), run.started().policies(), run.steps(), events);
    }

    /** The runs of a journal: the ids of those whose log starts readably, and the rows that stopped the others. */
    public record RunList(List<String> ids, List<UnreadableRow> unreadable) {
    }

    /**
     * The run ids that have a run log, oldest first by their first event, with the runs whose log's
     * first row cannot be read set aside.
     */
    public RunList runList() {
        List<Stored> starts = new ArrayList<>();
        List<UnreadableRow> unreadable = new ArrayList<>();
        for (String pid : persistenceIds()) {
            if (pid.endsWith(RunLog.SUFFIX)) {
                // the first event only: a run log holds a batch of judged steps per 512 steps
                try {
                    List<Stored> ev = events(pid, 1);
                    if (!ev.isEmpty()) {
                        starts.add(ev.get(0));
                    }
                } catch (UnreadableRow e) {
                    unreadable.add(e);
                }
            }
        }
        starts.sort(Comparator.comparingLong(Stored::ordering));
        List<String> out = new ArrayList<>();
        starts.forEach(s -> out.add(s.persistenceId().substring(0, s.persistenceId().length() - RunLog.SUFFIX.length())));
        return new RunList(out, unreadable);
    }

    public List<Stored> events(String persistenceId) {
        return events(persistenceId, Long.MAX_VALUE);
    }

    /**
     * The events of one persistence id up to sequence number {@code toSequenceNr}, oldest first;
     * throws {@link UnreadableRow} naming the first row that cannot be decoded.
     */
    public List<Stored> events(String persistenceId, long toSequenceNr) {
        return events(persistenceId, 0, toSequenceNr);
    }

    /**
     * The events of one persistence id from sequence number {@code fromSequenceNr} to
     * {@code toSequenceNr}, oldest first; throws {@link UnreadableRow} naming the first row that
     * cannot be decoded.
     */
    public List<Stored> events(String persistenceId, long fromSequenceNr, long toSequenceNr) {
        List<Stored> out = new ArrayList<>();
        String reason = read(persistenceId, fromSequenceNr, toSequenceNr, out);
        if (reason != null) {
            long from = out.isEmpty() ? Math.max(1, fromSequenceNr) : out.get(out.size() - 1).sequenceNr() + 1;
            throw locate(persistenceId, from, toSequenceNr, reason);
        }
        return out;
    }

    /** Reads rows {@code from..to} into {@code out}; returns why decoding failed, or null if it did not. */
    private String read(String persistenceId, long from, long to, List<Stored> out) {
        List<EventEnvelope> envs;
        try {
            envs = await(journal.currentEventsByPersistenceId(persistenceId, from, to).runWith(Sink.seq(), system));
        } catch (IllegalStateException e) {
            String reason = UnreadableRow.reasonOf(e);
            if (reason == null) {
                throw e;
            }
            return reason;
        }
        for (EventEnvelope e : envs) {
            long ordering = e.offset() instanceof Sequence s ? s.value() : 0;
            out.add(new Stored(ordering, e.persistenceId(), e.sequenceNr(), e.event()));
        }
        return null;
    }

    /**
     * The first row from {@code from} on that cannot be decoded: rows before the failure may or may
     * not have reached the reader, so it tries single rows, doubling the distance, then halves the
     * range it knows holds one. Costs a few reads, and only when a row is damaged.
     */
    private UnreadableRow locate(String persistenceId, long from, long to, String reason) {
        long lo = from;
        long hi = -1;
        for (long step = 0; ; step = step == 0 ? 1 : step * 2) {
            long end = to - lo <= step ? to : lo + step;
            if (read(persistenceId, lo, end, new ArrayList<>()) != null) {
                hi = end;
                break;
            }
            if (end == to) {
                break;
            }
            lo = end + 1;
        }
        if (hi < 0) {
            return new UnreadableRow(persistenceId, from, reason); // failed once, not again: name where it started
        }
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            if (read(persistenceId, lo, mid, new ArrayList<>()) != null) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        String why = read(persistenceId, lo, lo, new ArrayList<>());
        return new UnreadableRow(persistenceId, lo, why == null ? reason : why);
    }

    /** The events of a run's entities (not its log), oldest first in the journal's global order. */
    public List<Stored> runEvents(String runId, String entityPrefix) {
        return runEvents(runId, entityPrefix, n -> {
        });
    }

    /** As {@link #runEvents(String, String)}, telling {@code progress} how many events it has read so far. */
    public List<Stored> runEvents(String runId, String entityPrefix, LongConsumer progress) {
        List<Stored> out = new ArrayList<>();
        for (String pid : persistenceIds()) {
            if (pid.startsWith(runId + "/") && !pid.endsWith(RunLog.SUFFIX)
                    && (entityPrefix == null || EntityId.isUnder(pid.substring(runId.length() + 1), entityPrefix))) {
                out.addAll(events(pid));
                progress.accept(out.size());
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
