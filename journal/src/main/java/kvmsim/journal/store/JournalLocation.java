package kvmsim.journal.store;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;

/**
 * Where the journal lives, all through pekko-persistence-jdbc:
 * <ul>
 * <li>{@code h2:DIR}: an embedded H2 database in a folder (the default; created on first use);</li>
 * <li>{@code mem}: an in-memory H2, shared by the systems of one process and gone with it;</li>
 * <li>{@code postgres://USER[:PASSWORD]@HOST[:PORT]/DB} or {@code jdbc:postgresql://...}: a PostgreSQL
 * database several nodes share. Its schema is created by {@code kvmsim journal init}, never implicitly.</li>
 * </ul>
 */
public record JournalLocation(Kind kind, Path dir, String memName, String url, String user, String password) {

    public enum Kind { H2_FILE, H2_MEM, POSTGRES }

    public static final String DEFAULT_DIR = "kvmsim-data";

    /** Parses {@code --journal}. */
    public static JournalLocation parse(String spec) {
        if (spec.equals("mem")) {
            return inMemory("kvmsim");
        }
        if (spec.startsWith("h2:") && spec.length() > 3) {
            return new JournalLocation(Kind.H2_FILE, Path.of(spec.substring(3)).toAbsolutePath().normalize(), null, null,
                    null, null);
        }
        if (spec.startsWith("postgres://") || spec.startsWith("postgresql://")) {
            return postgresUri(spec);
        }
        if (spec.startsWith("jdbc:postgresql://")) {
            return new JournalLocation(Kind.POSTGRES, null, null, spec, env("KVMSIM_JOURNAL_USER", "postgres"),
                    env("KVMSIM_JOURNAL_PASSWORD", ""));
        }
        throw new IllegalArgumentException("--journal takes h2:DIR, mem, postgres://USER[:PASSWORD]@HOST[:PORT]/DB or "
                + "jdbc:postgresql://..., not '" + spec + "'");
    }

    public static JournalLocation inMemory(String name) {
        return new JournalLocation(Kind.H2_MEM, null, name, null, null, null);
    }

    // postgres://user:password@host:port/db -> jdbc:postgresql://host:port/db with that user
    private static JournalLocation postgresUri(String spec) {
        URI u;
        try {
            u = new URI(spec);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--journal " + redact(spec) + ": not a URI: " + e.getReason());
        }
        String db = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
        if (u.getHost() == null || db.isEmpty()) {
            throw new IllegalArgumentException("--journal " + redact(spec)
                    + ": give a host and a database: postgres://USER[:PASSWORD]@HOST[:PORT]/DB");
        }
        String user = env("KVMSIM_JOURNAL_USER", "postgres");
        String password = env("KVMSIM_JOURNAL_PASSWORD", "");
        if (u.getRawUserInfo() != null) {
            String[] parts = u.getRawUserInfo().split(":", 2);
            user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
            if (parts.length == 2) {
                password = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
            }
        }
        String url = "jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + "/" + db
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        return new JournalLocation(Kind.POSTGRES, null, null, url, user, password);
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null ? fallback : v;
    }

    private static String redact(String spec) {
        return spec.replaceAll("://([^:/@]+):[^@]*@", "://$1:***@");
    }

    public boolean inMemory() {
        return kind == Kind.H2_MEM;
    }

    public boolean isPostgres() {
        return kind == Kind.POSTGRES;
    }

    /** Several processes can share it: what a cluster needs. */
    public boolean shareable() {
        return isPostgres();
    }

    public String jdbcUrl() {
        return switch (kind) {
            case H2_MEM -> "jdbc:h2:mem:" + memName + ";DB_CLOSE_DELAY=-1";
            // WRITE_DELAY=0: H2 writes each commit to the file before the commit returns, so an event
            // Pekko confirmed survives a kill -9 of the process (H2's default keeps commits in memory
            // for up to 500 ms). It does not fsync: an OS crash or power loss can still lose them.
            case H2_FILE -> "jdbc:h2:file:" + dir.resolve("journal") + ";DB_CLOSE_DELAY=-1;WRITE_DELAY=0";
            case POSTGRES -> url;
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case H2_MEM -> "mem";
            case H2_FILE -> "h2:" + dir;
            case POSTGRES -> url.replaceAll("(?i)([?&]password=)[^&]*", "$1***") + " (user " + user + ")";
        };
    }

    /** The Pekko configuration that points the jdbc journal, snapshot store and read journal here. */
    public Config config() {
        String base = "pekko-persistence-jdbc.shared-databases.slick";
        Config c = ConfigFactory.empty().withValue(base + ".db.url", ConfigValueFactory.fromAnyRef(jdbcUrl()));
        if (isPostgres()) {
            c = c.withValue(base + ".profile", ConfigValueFactory.fromAnyRef("slick.jdbc.PostgresProfile$"))
                    .withValue(base + ".db.driver", ConfigValueFactory.fromAnyRef("org.postgresql.Driver"))
                    .withValue(base + ".db.user", ConfigValueFactory.fromAnyRef(user))
                    .withValue(base + ".db.password", ConfigValueFactory.fromAnyRef(password));
        } else {
            // H2 writes one transaction at a time: with one batch in flight instead of eight, the
            // writes that wait meanwhile go together in the next, and each costs less
            c = c.withValue("jdbc-journal.parallelism", ConfigValueFactory.fromAnyRef(1));
        }
        return c;
    }

    /** Whether the journal's tables are there (both scripts name them in lower case). */
    public boolean hasSchema() throws SQLException {
        try (Connection c = connect(); var rs = c.getMetaData().getTables(null, null, "event_journal", null)) {
            return rs.next();
        }
    }

    /**
     * Creates the folder (H2) and the tables, idempotently: the jdbc plugin's own script for the
     * database, with its one CREATE UNIQUE INDEX (and PostgreSQL's CREATE INDEX CONCURRENTLY, which
     * cannot run in a script) made IF NOT EXISTS. A new H2 journal appears whole ({@link #createH2FileWhole}).
     */
    public void ensureSchema() throws IOException, SQLException {
        String sql = schemaScript();
        if (kind == Kind.H2_FILE) {
            Files.createDirectories(dir);
            createH2FileWhole(sql);
        }
        try (Connection c = connect(); Statement st = c.createStatement()) {
            createTables(st, sql);
        }
        if (identity() == null) {
            try (Connection c = connect()) {
                writeIdentity(c);
            } catch (SQLException e) {
                if (identity() == null) {
                    throw e; // not a second init that won the race: a real failure
                }
            }
        }
    }

    /** An H2 journal's one file (H2 names it after the database, {@code journal}, in {@link #dir()}). */
    public Path h2File() {
        return dir.resolve("journal.mv.db");
    }

    private static final String CREATING = "journal-creating-";

    // H2 creates a database's file empty and writes its header a moment later: a process killed in
    // between would leave a 0-byte journal.mv.db, which reads as a damaged journal whose runs are lost
    // (the CLI refuses it). So a new journal is made, tables and identity, in a file of another name
    // beside it, closed, and then linked in under the journal's name: the file is whole or absent.
    private void createH2FileWhole(String sql) throws IOException, SQLException {
        removeAbandonedCreations();
        Path file = h2File();
        if (Files.exists(file)) {
            return;
        }
        String name = CREATING + UUID.randomUUID();
        Path temp = dir.resolve(name + ".mv.db");
        try {
            try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve(name), h2Login());
                    Statement st = c.createStatement()) {
                createTables(st, sql);
                writeIdentity(c);
                st.execute("SHUTDOWN");
            }
            try {
                Files.createLink(file, temp); // fails, replacing nothing, if another process made the journal first
            } catch (FileAlreadyExistsException e) {
                // that process's journal is the journal
            } catch (UnsupportedOperationException | IOException e) {
                try {
                    // a file system without hard links: a rename, still whole (it checks that the journal is
                    // not there, then renames: a creator racing in between would be replaced)
                    Files.move(temp, file);
                } catch (FileAlreadyExistsException again) {
                    // made meanwhile by another process: the journal
                }
            }
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // left for a later start to remove; not the failure to report
            }
        }
    }

    // what a process killed while it made a new journal left (its file, and H2's .trace.db if it wrote
    // one): files no one links in any more. One made in the last minute may be another process's,
    // about to be linked, and another process may remove one while this one looks at it.
    private void removeAbandonedCreations() throws IOException {
        long minuteAgo = System.currentTimeMillis() - 60_000;
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                if (!p.getFileName().toString().startsWith(CREATING)) {
                    continue;
                }
                try {
                    if (Files.getLastModifiedTime(p).toMillis() < minuteAgo) {
                        Files.deleteIfExists(p);
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // removed meanwhile
                }
            }
        }
    }

    // the jdbc plugin's script for this database, every CREATE made IF NOT EXISTS
    private String schemaScript() throws IOException {
        String script = isPostgres() ? "/schema/postgres/postgres-create-schema.sql" : "/schema/h2/h2-create-schema.sql";
        String sql;
        try (InputStream in = JournalLocation.class.getResourceAsStream(script)) {
            if (in == null) {
                throw new IOException("pekko-persistence-jdbc's schema " + script + " is not on the classpath");
            }
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return sql.replace("CREATE UNIQUE INDEX \"", "CREATE UNIQUE INDEX IF NOT EXISTS \"")
                .replace("CREATE UNIQUE INDEX event_journal", "CREATE UNIQUE INDEX IF NOT EXISTS event_journal")
                .replace("CREATE INDEX CONCURRENTLY ", "CREATE INDEX IF NOT EXISTS ");
    }

    private static void writeIdentity(Connection c) throws SQLException {
        try (var st = c.prepareStatement("insert into kvmsim_journal (one, id, created_at) values (1, ?, ?)")) {
            st.setString(1, UUID.randomUUID().toString());
            st.setLong(2, System.currentTimeMillis());
            st.executeUpdate();
        }
    }

    private static void createTables(Statement st, String sql) throws SQLException {
        for (String stmt : sql.split(";")) {
            if (!stmt.isBlank()) {
                st.execute(stmt);
            }
        }
        st.execute("create table if not exists kvmsim_journal (one int not null primary key check (one = 1), "
                + "id varchar(36) not null, created_at bigint not null)");
    }

    /**
     * This journal's identity: a random UUID the first {@link #ensureSchema()} ({@code kvmsim journal
     * init}) writes into its one-row table {@code kvmsim_journal}, and never changes. Cluster members
     * compare theirs when one joins, so a node on another database is refused; null in a journal
     * initialised before identities were written (init it again) or without kvmsim's tables.
     */
    public String identity() throws SQLException {
        try (Connection c = connect();
                var tables = c.getMetaData().getTables(null, null, isPostgres() ? "kvmsim_journal" : "KVMSIM_JOURNAL",
                        null)) {
            if (!tables.next()) {
                return null;
            }
            try (Statement st = c.createStatement(); var rs = st.executeQuery("select id from kvmsim_journal where one = 1")) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /**
     * Whether the journal holds any event of {@code persistenceId}: one indexed query over plain
     * JDBC, without starting Pekko's read journal (a replay checks its run id this way).
     */
    public boolean holdsEventsOf(String persistenceId) throws SQLException {
        try (Connection c = connect(); var st = c.prepareStatement(
                "select 1 from \"event_journal\" where \"persistence_id\" = ? limit 1")) {
            st.setString(1, persistenceId);
            try (var rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    private Connection connect() throws SQLException {
        if (!isPostgres()) {
            return DriverManager.getConnection(jdbcUrl(), h2Login());
        }
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return DriverManager.getConnection(jdbcUrl(), p);
    }

    /** A connection to this H2 file journal, which must exist (H2 would make an empty file otherwise). */
    Connection connectExisting() throws SQLException {
        return DriverManager.getConnection(jdbcUrl() + ";IFEXISTS=TRUE", h2Login());
    }

    // the embedded H2's user, as the jdbc plugin's configuration names it
    private static Properties h2Login() {
        Properties p = new Properties();
        p.setProperty("user", "sa");
        p.setProperty("password", "");
        return p;
    }
}
