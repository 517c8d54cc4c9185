package kvmsim.actors.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import kvmsim.actors.history.StoredRun;
import kvmsim.actors.report.TimelineHtml;
import kvmsim.domain.audit.OfflineAudit;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.history.RunHistory;
import kvmsim.domain.history.Timeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "report", description = "Write a self-contained HTML timeline of a run: a lane per entity, a mark "
        + "per event (hover for it), TLB-shootdown broadcasts drawn to every vCPU, violations with their chain.")
final class ReportCommand extends ReadCommand {

    @Option(names = "--html", paramLabel = "FILE", required = true, description = "the HTML file to write")
    Path html;

    @Mixin
    RunOption run;

    @Mixin
    LineWindow window;

    @Override
    void validate() {
        window.validate();
        Path dir = html.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new BadInput("--html " + html + ": no such directory " + dir);
        }
    }

    @Override
    int read(JournalSession session) {
        StoredRun stored = run.read(session);
        long expected = stored.finished() == null ? 0 : stored.finished().events();
        RunHistory full = session.history(stored, progress("reading " + stored.id(), expected));
        // violations come from the whole run (a chain may start before --from), then are windowed
        List<Violation> violations = OfflineAudit.audit(full.events()).stream().filter(v -> window.contains(v.line())).toList();
        Timeline t = Timeline.of(full, violations, window.first(), window.last());
        write(TimelineHtml.render(t));
        if (json) {
            out.println(object("report").put("run", stored.id()).put("file", html.toString())
                    .put("lanes", t.lanes().size()).put("steps", t.columns().size()).put("events", t.marks().size())
                    .put("broadcasts", t.broadcasts().size()).put("violations", t.violations().size()));
        } else {
            out.printf("wrote %s: run %s, %d lanes, %d steps, %d events, %d broadcasts, %d violations%n", html,
                    stored.id(), t.lanes().size(), t.columns().size(), t.marks().size(), t.broadcasts().size(),
                    t.violations().size());
        }
        return 0;
    }

    // written beside the target, then moved over it: a reader never sees half a report
    private void write(String content) {
        Path target = html.toAbsolutePath();
        try {
            Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BadInput("--html " + html + ": cannot write: " + e.getMessage());
        }
    }
}
