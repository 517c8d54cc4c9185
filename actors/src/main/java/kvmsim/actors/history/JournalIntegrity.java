package kvmsim.actors.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.history.StepRecord;

/**
 * Whether a run's rows are the ones its replay wrote, from the journal alone: each entity's
 * sequence numbers run from 1 without a gap, each holds the events the run log counted for it,
 * step by step and line by line ({@link RunLog.StepsJudged#events()}), the run log's own rows have
 * no gap and its finish counts the steps and events there are. A forged, lost or moved row is a
 * {@link Finding} naming the entity and sequence number; the rules' audit cannot see these, as it
 * judges whatever events it is given.
 *
 * <p>A run that did not finish may hold events of steps it never judged (the replay stopped between
 * persisting them and writing its log): those are counted in {@link Result#unjudged()}, not findings.
 */
public final class JournalIntegrity {

    /** One difference: {@code entity} is an entity path or {@code log}, {@code sequenceNr} where it starts. */
    public record Finding(String entity, long sequenceNr, String what) {

        @Override
        public String toString() {
            return entity + " sequence number " + sequenceNr + ": " + what;
        }
    }

    /** The findings, in entity and sequence order; {@code events} rows read; {@code unjudged} see above. */
    public record Result(List<Finding> findings, long events, long unjudged) {

        public boolean intact() {
            return findings.isEmpty();
        }
    }

    public static final String LOG = "log";

    private JournalIntegrity() {
    }

    /**
     * Checks {@code run} against its log's rows ({@code <run>/log}) and its entities' rows
     * (persistence ids {@code <run>/<entity path>}, any order).
     */
    public static Result check(StoredRun run, List<JournalReader.Stored> logRows, List<JournalReader.Stored> rows) {
        List<Finding> findings = new ArrayList<>();
        gaps(LOG, logRows.stream().map(JournalReader.Stored::sequenceNr).sorted().toList(), findings);

        Map<String, List<JournalReader.Stored>> byEntity = new TreeMap<>();
        for (JournalReader.Stored s : rows) {
            byEntity.computeIfAbsent(s.persistenceId().substring(run.id().length() + 1), k -> new ArrayList<>()).add(s);
        }
        byEntity.values().forEach(l -> l.sort(Comparator.comparingLong(JournalReader.Stored::sequenceNr)));

        long unjudged = 0;
        if (run.stepEvents() == null) {
            // a run that did not count its steps' events: only the numbering can be checked
            byEntity.forEach((e, l) -> gaps(e, l.stream().map(JournalReader.Stored::sequenceNr).toList(), findings));
        } else {
            Map<String, List<Integer>> expected = expectedLines(run);
            int lastJudged = run.steps().stream().mapToInt(StepRecord::line).max().orElse(0);
            Set<String> entities = new TreeSet<>(expected.keySet());
            entities.addAll(byEntity.keySet());
            for (String e : entities) {
                unjudged += compare(e, expected.getOrDefault(e, List.of()), byEntity.getOrDefault(e, List.of()),
                        run.finished() == null, lastJudged, findings);
            }
        }

        if (run.finished() != null && run.format() >= 2) {
            if (run.finished().steps() != run.steps().size()) {
                findings.add(new Finding(LOG, logRows.isEmpty() ? 0 : logRows.get(logRows.size() - 1).sequenceNr(),
                        "the finish counts " + run.finished().steps() + " steps, the log holds " + run.steps().size()
                                + " judged steps"));
            }
            if (run.finished().events() != rows.size()) {
                findings.add(new Finding(LOG, logRows.isEmpty() ? 0 : logRows.get(logRows.size() - 1).sequenceNr(),
                        "the finish counts " + run.finished().events() + " events, the journal holds " + rows.size()));
            }
        }
        findings.sort(Comparator.comparing(Finding::entity).thenComparingLong(Finding::sequenceNr));
        return new Result(List.copyOf(findings), rows.size(), unjudged);
    }

    /** For each entity, the trace line of each of its events in sequence order, as the run log counts them. */
    private static Map<String, List<Integer>> expectedLines(StoredRun run) {
        Map<String, List<Integer>> lines = new TreeMap<>();
        // judged in trace order, and each entity persists its commands in trace order
        run.steps().stream().mapToInt(StepRecord::line).sorted().distinct().forEach(line -> {
            Map<String, Integer> counts = run.stepEvents().get(line);
            if (counts != null) {
                counts.forEach((e, n) -> {
                    List<Integer> l = lines.computeIfAbsent(e, k -> new ArrayList<>());
                    for (int i = 0; i < n; i++) {
                        l.add(line);
                    }
                });
            }
        });
        return lines;
    }

    /** Compares one entity's rows with the lines the run log expects; returns how many rows are of unjudged steps. */
    private static long compare(String entity, List<Integer> expected, List<JournalReader.Stored> rows,
            boolean unfinished, int lastJudged, List<Finding> findings) {
        Map<Long, JournalReader.Stored> bySeq = new TreeMap<>();
        rows.forEach(r -> bySeq.put(r.sequenceNr(), r));
        long last = Math.max(expected.size(), rows.isEmpty() ? 0 : rows.get(rows.size() - 1).sequenceNr());
        long unjudged = 0;
        long missingFrom = 0;
        for (long seq = 1; seq <= last + 1; seq++) {
            JournalReader.Stored row = seq <= last ? bySeq.get(seq) : null;
            boolean missing = seq <= last && row == null;
            if (missing) {
                missingFrom = missingFrom == 0 ? seq : missingFrom;
                continue;
            }
            if (missingFrom != 0) {
                findings.add(missing(entity, expected, missingFrom, seq - 1));
                missingFrom = 0;
            }
            if (row == null) {
                continue;
            }
            int line = ((Recorded) row.event()).line();
            Integer want = seq <= expected.size() ? expected.get((int) seq - 1) : null;
            if (want == null) {
                if (unfinished && line > lastJudged) {
                    unjudged++;
                } else {
                    findings.add(new Finding(entity, seq, "an event of line " + line + " that the run log does not "
                            + "count (it counts " + expected.size() + " events of this entity)"));
                }
            } else if (want != line) {
                findings.add(new Finding(entity, seq, "an event of line " + line + " where the run log counts one of "
                        + "line " + want));
            }
        }
        return unjudged;
    }

    private static Finding missing(String entity, List<Integer> expected, long from, long to) {
        String what = from == to ? "missing" : "missing up to " + to;
        if (from > expected.size()) {
            return new Finding(entity, from, what + ": the rows skip " + (from == to ? "it" : "them"));
        }
        long counted = Math.min(to, expected.size());
        int a = expected.get((int) from - 1);
        int b = expected.get((int) counted - 1);
        return new Finding(entity, from, what + ": the run log counts " + (counted - from + 1) + " event"
                + (counted == from ? "" : "s") + " of " + (a == b ? "line " + a : "lines " + a + "-" + b) + " there");
    }

    /** A numbering that does not run 1, 2, 3, ...: one finding per gap. */
    private static void gaps(String entity, List<Long> seqs, List<Finding> findings) {
        long next = 1;
        for (long s : seqs) {
            if (s > next) {
                findings.add(new Finding(entity, next, s - 1 == next ? "missing: the rows skip it"
                        : "missing up to " + (s - 1) + ": the rows skip them"));
            }
            next = s + 1;
        }
    }
}
