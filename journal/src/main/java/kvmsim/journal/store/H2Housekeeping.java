package kvmsim.journal.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.RandomAccessStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upkeep H2 gives its file on a background thread, which {@code WRITE_DELAY=0} (each commit
 * written before it returns, {@link JournalLocation#jdbcUrl()}) switches off with that thread.
 * <p>
 * H2 never changes a written chunk: each commit writes a new one with the pages it changed, and a
 * chunk is freed only when none of its pages is live. The journal's tables are append-mostly, so
 * nearly every chunk keeps a live page or two for good, and without this upkeep the file only grows:
 * 100,000 generated steps (225,000 events, 32 MB of payload) left a 2.5 GB file, 30 MB once
 * compacted. Every {@link #PERIOD_MS} this does what H2's own thread would: rewrite the live pages of
 * chunks that are mostly dead, then move chunks down into the gaps so that the file can shrink.
 * <p>
 * A chunk with no live page left may be overwritten once it was written {@link #RETENTION_MS} ago,
 * not H2's 45 s (45 s of a replay's commits is hundreds of MB). Readers do not need the retention
 * (H2 keeps every chunk an open version still reads); it only guards against a disk that reorders
 * writes across a power loss, which a journal that does not fsync does not survive whole anyway. A
 * kill of the process does not depend on it: every commit is in the file when it returns.
 */
public final class H2Housekeeping implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(H2Housekeeping.class);

    static final long PERIOD_MS = 500;
    static final int RETENTION_MS = 1_000;
    /** Rewrite the chunks when live pages fill less than this percentage of them (H2's own target). */
    private static final int REWRITE_BELOW_FILL = 80;
    /** Move chunks into gaps when less than this percentage of the file is in use. */
    private static final int MOVE_BELOW_FILL = 90;
    /** At most this many bytes rewritten or moved per round, so that a commit never waits long. */
    private static final int BYTES_PER_ROUND = 4 << 20;

    /** What a journal other than an H2 file gets: H2 in memory and PostgreSQL keep their own files. */
    private static final H2Housekeeping NONE = new H2Housekeeping(null, null);

    private final JournalLocation journal;
    private final ScheduledExecutorService timer;
    // set by the first round that finds the journal's file (only the timer's thread writes them)
    private volatile Connection connection;
    private volatile MVStore store;
    private boolean warned;

    private H2Housekeeping(JournalLocation journal, ScheduledExecutorService timer) {
        this.journal = journal;
        this.timer = timer;
    }

    /**
     * Starts the upkeep of an on-disk H2 journal that this process opens (an embedded H2 file is open
     * in one process at a time); nothing for other journals. The journal need not exist yet: the
     * upkeep begins once its file does ({@link JournalLocation#ensureSchema()} makes it whole).
     */
    public static H2Housekeeping start(JournalLocation journal) {
        if (journal.kind() != JournalLocation.Kind.H2_FILE) {
            return NONE;
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kvmsim-h2-housekeeping");
            t.setDaemon(true);
            return t;
        });
        H2Housekeeping upkeep = new H2Housekeeping(journal, timer);
        timer.scheduleWithFixedDelay(upkeep::round, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
        return upkeep;
    }

    // the database the journal plugin writes: with DB_CLOSE_DELAY=-1 this JVM holds one per file
    private boolean attach() throws SQLException, IOException {
        if (store != null) {
            return true;
        }
        Path file = journal.h2File();
        if (!Files.exists(file) || Files.size(file) == 0) {
            return false; // not made yet, or damaged: the CLI refuses an empty file, and H2 would fill it
        }
        Connection c = journal.connectExisting();
        MVStore s = ((SessionLocal) ((JdbcConnection) c).getSession()).getDatabase().getStore().getMvStore();
        s.setRetentionTime(RETENTION_MS);
        connection = c;
        store = s;
        return true;
    }

    // one round of what RandomAccessStore.doHousekeeping does on H2's background thread
    private void round() {
        try {
            if (!attach()) {
                return;
            }
            if (store.isClosed()) {
                timer.shutdown();
                return;
            }
            store.compact(REWRITE_BELOW_FILL, BYTES_PER_ROUND);
            if (store.getFileStore() instanceof RandomAccessStore file && file.getFillRate() < MOVE_BELOW_FILL) {
                file.compactMoveChunks(MOVE_BELOW_FILL, BYTES_PER_ROUND, store);
            }
        } catch (SQLException | IOException | RuntimeException e) {
            if (store != null && store.isClosed()) {
                // H2 closes a store whose write failed (a full disk): the journal's own writes report
                // that; nothing is left to keep up
                timer.shutdown();
            } else if (!warned) {
                warned = true; // said once: a failing round is tried again, and the file may grow meanwhile
                LOG.warn("the upkeep of the H2 journal {} failed (tried again every {} ms): {}", journal, PERIOD_MS,
                        e.toString());
            }
        }
    }

    @Override
    public void close() {
        if (timer == null) {
            return;
        }
        // no interrupt: an interrupted write closes H2's FileChannel, and with it the journal
        timer.shutdown();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException e) {
            // the database stays open for the journal plugin (DB_CLOSE_DELAY=-1); nothing to undo
        }
    }
}
