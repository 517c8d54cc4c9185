package kvmsim.actors.cli;

import com.typesafe.config.ConfigFactory;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Option;

/**
 * --journal, shared by every command that touches the journal. Without the flag: the environment's
 * KVMSIM_JOURNAL, else application.conf's {@code kvmsim.journal} (which reads that variable too),
 * else the embedded H2 in ./kvmsim-data.
 */
public final class JournalOption {

    @Option(names = "--journal", paramLabel = "h2:DIR|mem|postgres://...",
            description = "where events are kept: an embedded H2 database in DIR (default h2:" + JournalLocation.DEFAULT_DIR
                    + ", or $KVMSIM_JOURNAL, or kvmsim.journal in application.conf), mem for an in-memory journal "
                    + "gone with the process, or PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DB or "
                    + "jdbc:postgresql://... (user and password also from KVMSIM_JOURNAL_USER/_PASSWORD)")
    String spec;

    public String spec() {
        if (spec != null) {
            return spec;
        }
        var config = ConfigFactory.load();
        return config.hasPath("kvmsim.journal") ? config.getString("kvmsim.journal") : "h2:" + JournalLocation.DEFAULT_DIR;
    }

    public JournalLocation location() {
        try {
            return JournalLocation.parse(spec());
        } catch (IllegalArgumentException e) {
            throw new BadInput(e.getMessage());
        }
    }

    /**
     * A journal several processes can share, with its tables: a cluster must not split its events
     * over private H2 files. {@code what} names the command in the message.
     */
    public JournalLocation sharedLocation(String what) {
        JournalLocation location = location();
        if (!location.shareable()) {
            throw new BadInput(what + ": the nodes of a cluster share one PostgreSQL journal: --journal "
                    + "postgres://USER@HOST/DB (not " + location + ")");
        }
        checkSchema(location);
        return location;
    }

    /**
     * Makes sure the journal's tables exist: H2 creates them on first use; a PostgreSQL journal is
     * shared by a cluster and is initialised once, on purpose, by {@code kvmsim journal init}.
     */
    public static void checkSchema(JournalLocation location) {
        try {
            if (!location.isPostgres()) {
                location.ensureSchema();
            } else if (!location.hasSchema()) {
                throw new BadInput("--journal " + location + ": no kvmsim tables there; create them once with: kvmsim "
                        + "journal init --journal ...");
            }
        } catch (BadInput e) {
            throw e;
        } catch (Exception e) {
            throw new BadInput("--journal " + location + ": cannot open the journal: " + e.getMessage());
        }
    }
}
