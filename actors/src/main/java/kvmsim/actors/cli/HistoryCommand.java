package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.JournalReader;
import kvmsim.domain.kernel.Recorded;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "history", description = "The events of a run, oldest first: of every entity, or of those under --entity.")
final class HistoryCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--run", paramLabel = "ID", description = "the run (default: the latest)")
    String run;

    @Option(names = "--entity", paramLabel = "PATH", description = "an entity or a prefix: vm/vm0, vcpu/vm0/0, slot/vm0, host/host0")
    String entity;

    @Option(names = "--json", description = "one JSON object per event")
    boolean json;

    @Mixin
    JournalOption journal;

    /** The journal's location if it exists, else null after saying why. */
    static JournalLocation open(JournalOption journal, PrintWriter err) {
        JournalLocation location;
        try {
            location = journal.location();
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return null;
        }
        if (!location.inMemory() && !Files.exists(location.dir().resolve("journal.mv.db"))) {
            err.println("--journal " + journal.spec + ": no journal there (replay creates it)");
            return null;
        }
        try {
            location.ensureSchema();
        } catch (Exception e) {
            err.println("--journal " + journal.spec + ": cannot open the journal: " + e.getMessage());
            return null;
        }
        return location;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JournalLocation location = open(journal, err);
        if (location == null) {
            return Main.BAD_INPUT;
        }
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            JournalReader reader = new JournalReader(sys.system());
            List<String> runs = reader.runs();
            String id = run != null ? run : runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (id == null || !runs.contains(id)) {
                err.println(id == null ? "no runs in " + location : "--run " + id + ": no such run in " + location);
                return Main.BAD_INPUT;
            }
            ObjectMapper m = new ObjectMapper();
            List<JournalReader.Stored> events = reader.runEvents(id, entity);
            for (JournalReader.Stored s : events) {
                String path = s.persistenceId().substring(id.length() + 1);
                Recorded r = (Recorded) s.event();
                if (json) {
                    ObjectNode n = m.createObjectNode();
                    n.put("run", id).put("entity", path).put("seq", s.sequenceNr()).put("line", r.line())
                            .put("event", r.event().getClass().getSimpleName());
                    n.set("data", m.valueToTree(r.event()));
                    out.println(n);
                } else {
                    out.printf("%6d  line %-4d %-18s #%-4d %s%n", s.ordering(), r.line(), path, s.sequenceNr(), r.event());
                }
            }
            if (!json) {
                out.println(events.size() + " events of run " + id);
            }
        }
        out.flush();
        return 0;
    }
}
