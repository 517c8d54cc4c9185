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
        try {
            if (location.identity() == null) {
                throw new BadInput(what + ": --journal " + location + " has no journal identity (it was initialised "
                        + "before kvmsim wrote one): run kvmsim journal init on it once more");
            }
        } catch (java.sql.SQLException e) {
            throw cannotOpen(location, e);
        }
        return location;
    }

    /**
     * What a member that the cluster refused says: its journal is not the cluster's. The seed node
     * that refused it logs both journals (SameJournal).
     */
    static String refused(String who, JournalLocation location) {
        String id;
        try {
            id = location.identity();
        } catch (java.sql.SQLException e) {
            id = "?";
        }
        return who + ": refused by the cluster: its journal is not this one's, --journal " + location + " (journal "
                + id + "); give the cluster's --journal (the node that refused names both journals in its log)";
    }

    /**
     * An H2 journal file of zero bytes is refused: H2 would take it for a new database and write an
     * empty journal over what was lost, and a reader would report no runs instead of the damage.
     */
    public static void refuseEmptyFile(JournalLocation location) {
        if (location.kind() != JournalLocation.Kind.H2_FILE) {
            return;
        }
        java.nio.file.Path file = location.h2File();
        try {
            if (java.nio.file.Files.exists(file) && java.nio.file.Files.size(file) == 0) {
                throw new BadInput("--journal " + location + ": " + file + " is empty (0 bytes): not a journal; it "
                        + "was truncated or never written, and whatever runs it held are lost (move it away to start "
                        + "a new journal there)");
            }
        } catch (java.io.IOException e) {
            throw new BadInput("--journal " + location + ": cannot read " + file + ": " + e.getMessage());
        }
    }

    /** For a reader: the journal's tables must be there already; nothing is created. */
    public static void checkTables(JournalLocation location) {
        try {
            if (!location.hasSchema()) {
                throw new BadInput("--journal " + location + ": no kvmsim tables there" + (location.isPostgres()
                        ? "; create them once with: kvmsim journal init --journal ..." : ": not a kvmsim journal"));
            }
        } catch (BadInput e) {
            throw e;
        } catch (Exception e) {
            throw cannotOpen(location, e);
        }
    }

    /**
     * Why a journal cannot be opened, in one line. An embedded H2 journal is a file one process
     * holds at a time (H2's file lock): a second kvmsim, reader or replay, is refused whole, before it
     * reads or writes anything, and is told so.
     */
    public static BadInput cannotOpen(JournalLocation location, Exception e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.sql.SQLException q && q.getErrorCode() == H2_DATABASE_ALREADY_OPEN) {
                return new BadInput("--journal " + location + ": in use by another kvmsim process (an embedded H2 "
                        + "journal serves one process at a time: wait until it ends, or share a PostgreSQL journal)");
            }
        }
        return new BadInput("--journal " + location + ": cannot open the journal: " + firstLine(e.getMessage()));
    }

    /** org.h2.api.ErrorCode.DATABASE_ALREADY_OPEN_1: the file is locked by another process. */
    private static final int H2_DATABASE_ALREADY_OPEN = 90020;

    private static String firstLine(String m) {
        if (m == null) {
            return "(no message)";
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /**
     * Makes sure the journal's tables exist: H2 creates them on first use; a PostgreSQL journal is
     * shared by a cluster and is initialised once, on purpose, by {@code kvmsim journal init}.
     */
    public static void checkSchema(JournalLocation location) {
        refuseEmptyFile(location);
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
            throw cannotOpen(location, e);
        }
    }
}
