package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import kvmsim.actors.history.JournalFormat;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.StoredRun;
import kvmsim.domain.kernel.Recorded;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "history", description = "The events of a run, oldest first: of every entity, or of those under "
        + "--entity, for the steps between --from and --to.")
final class HistoryCommand extends ReadCommand {

    @Option(names = "--run", paramLabel = "ID", description = "the run (default: the latest)")
    String run;

    @Option(names = "--entity", paramLabel = "PATH", description = "an entity or a prefix: vm/vm0, vcpu/vm0/0, slot/vm0, host/host0")
    String entity;

    @Option(names = "--from", paramLabel = "N", description = "the first trace line to show (default: the first)")
    Integer from;

    @Option(names = "--to", paramLabel = "M", description = "the last trace line to show (default: the last)")
    Integer to;

    @Override
    void validate() {
        if (from != null && to != null && from > to) {
            throw new BadInput("--from " + from + " is after --to " + to);
        }
    }

    @Override
    int read(JournalSession session) {
        StoredRun stored = session.run(run, "--run");
        String id = stored.id();
        int shown = 0;
        List<JournalReader.Stored> events;
        try (Progress p = progress("reading " + id, stored.finished() == null || entity != null ? 0
                : stored.finished().events())) {
            events = session.reader.runEvents(id, entity, p);
        } catch (JournalFormat.TooNew e) {
            throw new BadInput(session.location + ": " + e.getMessage());
        }
        if (entity != null && events.isEmpty()) {
            throw new BadInput("--entity " + entity + ": run " + id + " has no entity under that path");
        }
        for (JournalReader.Stored s : events) {
            Recorded r = (Recorded) s.event();
            if ((from != null && r.line() < from) || (to != null && r.line() > to)) {
                continue;
            }
            shown++;
            String path = s.persistenceId().substring(id.length() + 1);
            if (json) {
                ObjectNode n = object("event").put("run", id).put("ordering", s.ordering()).put("entity", path)
                        .put("seq", s.sequenceNr()).put("line", r.line())
                        .put("event", r.event().getClass().getSimpleName());
                n.set("data", JSON.valueToTree(r.event()));
                out.println(n);
            } else {
                out.printf("%6d  line %-4d %-18s #%-4d %s%n", s.ordering(), r.line(), path, s.sequenceNr(), r.event());
            }
        }
        if (!json) {
            out.println(shown + " events of run " + id + (entity == null ? "" : " under " + entity)
                    + (from == null && to == null ? "" : " in lines " + (from == null ? "" : from) + ".."
                            + (to == null ? "" : to)));
        }
        return 0;
    }
}
