package kvmsim.actors.cli;

import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Option;

/** --journal, shared by every command that touches the journal. */
final class JournalOption {

    @Option(names = "--journal", paramLabel = "h2:DIR|mem", defaultValue = "h2:" + JournalLocation.DEFAULT_DIR,
            description = "where events are kept: an embedded H2 database in DIR (default h2:${DEFAULT-VALUE}), "
                    + "or mem for an in-memory journal gone with the process")
    String spec;

    JournalLocation location() {
        return JournalLocation.parse(spec);
    }
}
