package kvmsim.actors.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import kvmsim.actors.history.StoredRun;
import kvmsim.actors.report.TimelineHtml;
import kvmsim.actors.report.TraceEventJson;
import kvmsim.domain.audit.OfflineAudit;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.history.RunHistory;
import kvmsim.domain.history.Timeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "report", description = "Write a run as a self-contained HTML page (a lane per entity, a step "
        + "table, zoom, filters, jumps to broadcasts and violations; docs/report.md) and/or as a Chrome Trace Event "
        + "JSON file for Perfetto or chrome://tracing, on a synthetic clock of 1000 us per step.")
final class ReportCommand extends ReadCommand {

    @Option(names = "--html", paramLabel = "FILE", description = "the HTML page to write")
    Path html;

    @Option(names = "--trace-event", paramLabel = "FILE", description = "the trace-event JSON file to write")
    Path traceEvent;

    @Mixin
    RunOption run;

    @Mixin
    LineWindow window;

    /** Writes one output file's content to a stream. */
    private interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    @Override
    void validate() {
        if (html == null && traceEvent == null) {
            throw new BadInput("give --html FILE, --trace-event FILE or both");
        }
        window.validate();
        checkDirectory("--html", html);
        checkDirectory("--trace-event", traceEvent);
    }

    private static void checkDirectory(String option, Path file) {
        Path dir = file == null ? null : file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new BadInput(option + " " + file + ": no such directory " + dir);
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
        if (html != null) {
            write("--html", html, out -> out.write(TimelineHtml.render(t).getBytes(StandardCharsets.UTF_8)));
        }
        TraceEventJson.Counts[] counts = new TraceEventJson.Counts[1];
        if (traceEvent != null) {
            write("--trace-event", traceEvent, out -> counts[0] = TraceEventJson.write(t, out));
        }
        if (json) {
            var o = object("report").put("run", stored.id());
            if (html != null) {
                o.put("html", html.toString());
            }
            if (traceEvent != null) {
                o.put("trace_event", traceEvent.toString()).put("trace_events", counts[0].events());
            }
            out.println(o.put("lanes", t.lanes().size()).put("steps", t.columns().size()).put("events", t.marks().size())
                    .put("broadcasts", t.broadcasts().size()).put("violations", t.violations().size()));
        } else {
            String files = html == null ? traceEvent.toString()
                    : traceEvent == null ? html.toString() : html + " and " + traceEvent;
            out.printf("wrote %s: run %s, %d lanes, %d steps, %d events, %d broadcasts, %d violations%n", files,
                    stored.id(), t.lanes().size(), t.columns().size(), t.marks().size(), t.broadcasts().size(),
                    t.violations().size());
        }
        return 0;
    }

    // whole or not at all (ReplacedFile): a reader never sees half a report, a failure leaves no temporary file
    private void write(String option, Path file, Content content) {
        try (ReplacedFile target = ReplacedFile.create(file)) {
            content.writeTo(target.stream());
            target.commit();
        } catch (IOException e) {
            throw new BadInput(option + " " + file + ": cannot write: " + ReplacedFile.reason(e));
        }
    }
}
