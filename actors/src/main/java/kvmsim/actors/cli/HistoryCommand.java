package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.StoredRun;
import kvmsim.actors.history.UnreadableRow;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.StepOrder;
import kvmsim.journal.output.OutputJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "history", description = "The events of a run, oldest first: of every entity, or of those under "
        + "--entity, for the steps between --from and --to.")
final class HistoryCommand extends ReadCommand {

    @Mixin
    RunOption run;

    @Option(names = "--entity", paramLabel = "PATH", description = "an entity or a prefix: vm/vm0, vcpu/vm0/0, slot/vm0, host/host0")
    String entity;

    @Mixin
    LineWindow window;

    @Override
    void validate() {
        window.validate();
    }

    @Override
    int read(JournalSession session) {
        StoredRun stored = run.read(session);
        String id = stored.id();
        int shown = 0;
        List<JournalReader.Stored> events;
        try (Progress p = progress("reading " + id, stored.finished() == null || entity != null ? 0
                : stored.finished().events())) {
            events = session.reader.runEvents(id, entity, p);
        } catch (UnreadableRow e) {
            throw session.unreadable(e);
        }
        if (entity != null && events.isEmpty()) {
            throw new BadInput("--entity " + entity + ": run " + id + " has no entity under that path");
        }
        events = StepOrder.of(events, s -> ((Recorded) s.event()).line());
        for (JournalReader.Stored s : events) {
            Recorded r = (Recorded) s.event();
            if (!window.contains(r.line())) {
                continue;
            }
            shown++;
            String path = s.persistenceId().substring(id.length() + 1);
            if (json) {
                ObjectNode n = object("event").put("run", id).put("ordering", s.ordering()).put("entity", path)
                        .put("seq", s.sequenceNr()).put("line", r.line());
                n.set("event", OutputJson.tree(r.event()));
                out.println(n);
            } else {
                out.printf("line %-4d %-18s #%-4d %s%n", r.line(), path, s.sequenceNr(), r.event());
            }
        }
        if (!json) {
            out.println(shown + " events of run " + id + (entity == null ? "" : " under " + entity)
                    + (window.whole() ? "" : " in lines " + (window.from == null ? "" : window.from) + ".."
                            + (window.to == null ? "" : window.to)));
        }
        return 0;
    }
}
