package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import kvmsim.journal.output.OutputJson;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that reads a stored journal: --journal and --json, the journal opened and closed, and
 * bad input (an unknown run, an empty journal, a newer format) as one line on stderr and exit 2.
 */
abstract class ReadCommand implements Callable<Integer> {

    /** The output mapper (docs/json-output.md): snake_case keys, events and states as typed objects. */
    static final ObjectMapper JSON = OutputJson.MAPPER;

    @Spec
    CommandSpec spec;

    @Mixin
    JournalOption journal;

    @Option(names = "--json", description = "one JSON object per line, for jq and CI")
    boolean json;

    PrintWriter out;
    PrintWriter err;

    /** Reads what the command needs and prints it; returns the exit status. */
    abstract int read(JournalSession session);

    @Override
    public final Integer call() {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        try {
            validate();
            try (JournalSession session = JournalSession.open(journal)) {
                return read(session);
            }
        } catch (BadInput e) {
            err.println(e.getMessage());
            return Main.BAD_INPUT;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Checks the options before the journal is opened; throws BadInput. */
    void validate() {
    }

    ObjectNode object(String type) {
        return OutputJson.line(type);
    }

    Progress progress(String label, long total) {
        return Progress.onStderr(err, label, "events", total);
    }
}
