package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import kvmsim.actors.history.JournalIntegrity;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.RunLog;
import kvmsim.actors.history.StoredRun;
import kvmsim.domain.audit.OfflineAudit;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.TextReport;
import kvmsim.domain.history.RunHistory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "audit", description = "Recompute every invariant of a stored run from its events alone, and "
        + "compare with what the replay found online; check that the journal holds the events the run log "
        + "counted, numbered without gaps. Exit 0 when the replay would pass: every violation is one the trace "
        + "expects, the two checks agree and the journal is intact; 1: an unexpected violation, a disagreement, or "
        + "a journal-integrity finding.")
final class AuditCommand extends ReadCommand {

    @Mixin
    RunOption run;

    @Override
    int read(JournalSession session) {
        StoredRun stored = run.read(session);
        long expectedEvents = stored.finished() == null ? 0 : stored.finished().events();
        List<JournalReader.Stored> rows = session.rows(stored, progress("reading " + stored.id(), expectedEvents));
        RunHistory history = session.reader.history(stored, rows);
        JournalIntegrity.Result journal = JournalIntegrity.check(stored,
                session.reader.events(stored.id() + RunLog.SUFFIX), rows);
        List<Violation> found;
        try (Progress p = progress("auditing " + stored.id(), history.events().size())) {
            found = OfflineAudit.audit(history.events(), p);
        }
        Agreement online = agreement(stored, found);
        // the replay's own rule (Replay.run): a violation the trace's CHECK violations lists does not fail the run
        long unexpected = found.stream().filter(v -> !stored.started().expects(v.invariant())).count();
        String trace = history.trace();
        if (json) {
            for (Violation v : found) {
                ObjectNode n = object("violation").put("run", stored.id()).put("trace", trace);
                n.setAll((ObjectNode) JSON.valueToTree(v));
                n.put("expected", stored.started().expects(v.invariant()));
                out.println(n);
            }
            for (JournalIntegrity.Finding f : journal.findings()) {
                out.println(object("journal_finding").put("run", stored.id()).put("entity", f.entity())
                        .put("sequence_nr", f.sequenceNr()).put("finding", f.what()));
            }
            ObjectNode sum = object("audit").put("run", stored.id()).put("trace", trace)
                    .put("events", history.events().size()).put("violations", found.size())
                    .put("unexpected", unexpected)
                    .put("online", online.verdict).put("agrees", online.agrees)
                    .put("journal_intact", journal.intact()).put("journal_findings", journal.findings().size())
                    .put("unjudged_events", journal.unjudged());
            sum.set("online_violations", online.stored == null ? null : JSON.valueToTree(online.stored.size()));
            out.println(sum);
        } else {
            out.println("audit of run " + stored.id() + "  trace " + trace + "  policies "
                    + RunsCommand.nonDefault(history.policies()));
            for (Violation v : found) {
                String note = stored.started().expects(v.invariant()) ? " (expected by the trace)" : " (UNEXPECTED)";
                TextReport.violation(trace, v, note).forEach(out::println);
            }
            out.println(stored.id() + ": " + history.events().size() + " events audited offline, " + found.size()
                    + " violations (" + unexpected + " unexpected); " + online.verdict);
            online.differences.forEach(out::println);
            out.println(journalVerdict(stored, journal));
            journal.findings().forEach(f -> out.println("  " + f));
        }
        return unexpected == 0 && online.agrees && journal.intact() ? 0 : 1;
    }

    private static String journalVerdict(StoredRun run, JournalIntegrity.Result journal) {
        String unjudged = journal.unjudged() == 0 ? "" : "; " + journal.unjudged() + " events of steps the replay "
                + "persisted but never judged (it stopped)";
        if (!journal.intact()) {
            return "journal of run " + run.id() + ": " + journal.findings().size() + " integrity finding"
                    + (journal.findings().size() == 1 ? "" : "s") + unjudged;
        }
        return "journal of run " + run.id() + ": intact (" + journal.events() + " events numbered from 1 without gaps "
                + (run.stepEvents() != null ? "per entity, as the run log counted them step by step)"
                        : "per entity; this run did not count its steps' events)") + unjudged;
    }

    private record Agreement(boolean agrees, String verdict, List<Violation> stored, List<String> differences) {
    }

    // the replay kept its violations (format 2): the same list, in the audit's order, or the differences
    private static Agreement agreement(StoredRun run, List<Violation> offline) {
        if (run.finished() == null) {
            return new Agreement(true, "the replay did not finish" + (run.failed() == null ? ""
                    : " (" + run.failed().reason() + ")") + ", so there is no online result to compare", null, List.of());
        }
        if (run.finished().found() == null) {
            boolean same = run.finished().violations() == offline.size();
            return new Agreement(same, (same ? "the same count as" : "a different count from")
                    + " the replay's online check (" + run.finished().violations()
                    + "; a format 1 run kept only the count)", null, List.of());
        }
        List<Violation> online = new ArrayList<>(run.finished().found());
        online.sort(OfflineAudit.ORDER);
        // where the violations are, not their chains: a run finished before chains held events kept none
        List<String> onlineAt = online.stream().map(Violation::place).toList();
        List<String> offlineAt = offline.stream().map(Violation::place).toList();
        if (onlineAt.equals(offlineAt)) {
            return new Agreement(true, "the same as the replay's online check", online, List.of());
        }
        List<String> diffs = new ArrayList<>();
        onlineAt.stream().filter(v -> !offlineAt.contains(v)).forEach(v -> diffs.add("  only online:  " + v));
        offlineAt.stream().filter(v -> !onlineAt.contains(v)).forEach(v -> diffs.add("  only offline: " + v));
        return new Agreement(false, "DIFFERENT from the replay's online check (" + online.size() + ")", online, diffs);
    }
}
