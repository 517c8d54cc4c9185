package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvmsim.actors.history.JournalFormat;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.RunLog;
import kvmsim.actors.history.UnreadableRow;
import kvmsim.actors.history.StoredRun;
import kvmsim.domain.policy.Policies;
import picocli.CommandLine.Command;

@Command(name = "runs", description = "List the runs in the journal, oldest first: trace, policies, counts, verdict. "
        + "A run whose log cannot be read (damaged, or written by a newer kvmsim) is reported (entity, sequence number, "
        + "reason) and skipped; exit 1 then.")
final class RunsCommand extends ReadCommand {

    @Override
    int read(JournalSession session) {
        JournalReader.RunList list = session.runList();
        List<UnreadableRow> unreadable = new ArrayList<>(list.unreadable());
        int listed = 0;
        for (String id : list.ids()) {
            StoredRun run;
            Long events;
            try {
                run = session.reader.run(id);
                RunLog.RunFinished f = run.finished();
                // a format 1 run did not count its events: count them
                events = f != null && run.format() >= 2 ? Long.valueOf(f.events())
                        : Long.valueOf(session.reader.runEvents(id, null).size());
            } catch (UnreadableRow e) {
                unreadable.add(e);
                continue;
            } catch (JournalFormat.TooNew e) {
                // listed with the unreadable ones: the other runs are still this kvmsim's to list
                unreadable.add(new UnreadableRow(id + RunLog.SUFFIX, 1, e.getMessage()));
                continue;
            }
            listed++;
            RunLog.RunFinished f = run.finished();
            if (json) {
                ObjectNode n = object("run").put("run", id).put("trace", run.started().trace())
                        .put("engine", run.started().engine())
                        .put("started", Instant.ofEpochMilli(run.started().startedAtMillis()).toString())
                        .put("format", run.format()).put("status", run.status().name().toLowerCase())
                        .put("finished", f != null).put("events", events)
                        .put("failed", run.failed() == null ? null : run.failed().reason())
                        .put("interrupted_at_step", run.status() == StoredRun.Status.INTERRUPTED
                                ? Integer.valueOf(run.steps().size()) : null)
                        .put("resumed", run.resumes());
                n.set("policies", JSON.valueToTree(new TreeMap<>(run.started().policies())));
                if (f != null) {
                    n.put("steps", f.steps()).put("mismatches", f.mismatches()).put("violations", f.violations())
                            .put("unexpected", f.unexpected()).put("exit", f.exitStatus());
                }
                out.println(n);
                continue;
            }
            StringBuilder b = new StringBuilder(id).append("  ")
                    .append(Instant.ofEpochMilli(run.started().startedAtMillis())).append("  ")
                    .append(run.started().trace()).append("  ").append(nonDefault(run.started().policies()));
            String resumed = run.resumes() == 0 ? "" : " (resumed " + run.resumes() + (run.resumes() == 1 ? " time)"
                    : " times)");
            switch (run.status()) {
                // the steps the log holds: replay --resume goes on from the next
                case INTERRUPTED -> b.append("  interrupted at step ").append(run.steps().size()).append(resumed)
                        .append(" (").append(events).append(" events").append(run.interrupted() != null ? ""
                                : "; killed, or still running").append(")");
                case FAILED -> b.append("  FAILED after ").append(run.steps().size()).append(" steps").append(resumed)
                        .append(": ").append(run.failed().reason());
                case FINISHED -> b.append("  finished").append(resumed).append(" steps=").append(f.steps())
                        .append(" events=").append(events).append(" violations=").append(f.violations())
                        .append(" mismatches=").append(f.mismatches()).append(" exit=").append(f.exitStatus());
            }
            out.println(b);
        }
        for (UnreadableRow e : unreadable) {
            if (json) {
                out.println(object("unreadable_run").put("run", e.run()).put("entity", e.entity())
                        .put("sequence_nr", e.sequenceNr()).put("reason", e.reason()));
            } else {
                out.println(e.run() + "  UNREADABLE, skipped: " + e.entity() + " sequence number " + e.sequenceNr()
                        + ": " + e.reason());
            }
        }
        if (!json) {
            out.println(listed + " runs in " + session.location
                    + (unreadable.isEmpty() ? "" : " (" + unreadable.size() + " unreadable, skipped)"));
        }
        return unreadable.isEmpty() ? 0 : 1;
    }

    /** The policies a run changed from today's defaults: the ones worth a glance. */
    static String nonDefault(Map<String, String> policies) {
        StringBuilder b = new StringBuilder();
        Policies.changedFromDefaults(policies).forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k)
                .append('=').append(v));
        return b.length() == 0 ? "default-policies" : b.toString();
    }
}
