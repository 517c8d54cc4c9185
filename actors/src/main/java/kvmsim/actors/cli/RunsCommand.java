package kvmsim.actors.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.RunLog;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "runs", description = "List the runs in the journal, oldest first.")
final class RunsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    JournalOption journal;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        JournalLocation location = HistoryCommand.open(journal, spec.commandLine().getErr());
        if (location == null) {
            return Main.BAD_INPUT;
        }
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            JournalReader reader = new JournalReader(sys.system());
            List<String> runs = reader.runs();
            for (String run : runs) {
                StringBuilder b = new StringBuilder(run);
                for (JournalReader.Stored s : reader.events(run + RunLog.SUFFIX)) {
                    if (s.event() instanceof RunLog.RunStarted st) {
                        b.append("  ").append(Instant.ofEpochMilli(st.startedAtMillis())).append("  ")
                                .append(st.trace()).append("  engine=").append(st.engine());
                    } else if (s.event() instanceof RunLog.RunFinished f) {
                        b.append("  steps=").append(f.steps()).append(" mismatches=").append(f.mismatches())
                                .append(" violations=").append(f.violations()).append(" exit=").append(f.exitStatus());
                    }
                }
                out.println(b);
            }
            out.println(runs.size() + " runs in " + location);
        }
        out.flush();
        return 0;
    }
}
