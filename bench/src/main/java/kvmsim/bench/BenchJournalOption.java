package kvmsim.bench;

import java.nio.file.Path;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Option;

/** --journal-dir, shared by the benchmarks that write an H2 journal: kept where given, else temporary. */
final class BenchJournalOption {

    @Option(names = "--journal-dir", paramLabel = "DIR", description = "H2 folder, kept (default: a temporary one, "
            + "removed at exit)")
    Path dir;

    /** The H2 journal in DIR, or in a temporary folder removed at exit; schema created. */
    JournalLocation h2() throws Exception {
        return BenchSupport.h2Journal(dir);
    }
}
