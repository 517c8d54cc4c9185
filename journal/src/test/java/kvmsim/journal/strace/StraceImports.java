package kvmsim.journal.strace;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.trace.Step;
import kvmsim.journal.io.LineReader;
import kvmsim.journal.trace.TraceParser;

/** An import as the CLI runs it, of lines given in a test: the trace, its steps, the summary and the warnings. */
record StraceImports(String trace, List<String> steps, StraceImporter.Summary summary, List<String> warnings) {

    /** Imports {@code lines} as rec.strace; {@code arch} null: inferred. */
    static StraceImports run(Arch arch, boolean lenient, String... lines) throws Exception {
        return run(arch, lenient, String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
    }

    static StraceImports run(Arch arch, boolean lenient, byte[] recording) throws Exception {
        StringWriter out = new StringWriter();
        List<String> warnings = new ArrayList<>();
        StraceImporter.Summary s = StraceImport.run("rec.strace", () -> LineReader.of(new ByteArrayInputStream(recording)),
                new StraceImport.Options(arch, lenient, warnings::add), out);
        List<String> steps = new ArrayList<>();
        for (Step step : TraceParser.parse("imported", new StringReader(out.toString())).steps()) {
            steps.add(StraceImporterTest.describe(step));
        }
        return new StraceImports(out.toString(), steps, s, warnings);
    }
}
