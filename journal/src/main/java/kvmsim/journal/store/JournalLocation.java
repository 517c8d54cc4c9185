package kvmsim.journal.store;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Where the journal lives: an embedded H2 database in a folder (the default, {@code h2:DIR}) or an
 * in-memory H2 ({@code mem}, gone with the process). Both go through pekko-persistence-jdbc.
 */
public record JournalLocation(Path dir, String memName) {

    public static final String DEFAULT_DIR = "kvmsim-data";

    /** Parses {@code --journal}: {@code h2:DIR} or {@code mem}. */
    public static JournalLocation parse(String spec) {
        if (spec.equals("mem")) {
            return new JournalLocation(null, "kvmsim");
        }
        if (spec.startsWith("h2:") && spec.length() > 3) {
            return new JournalLocation(Path.of(spec.substring(3)).toAbsolutePath().normalize(), null);
        }
        throw new IllegalArgumentException("--journal takes h2:DIR or mem, not '" + spec + "'");
    }

    public static JournalLocation inMemory(String name) {
        return new JournalLocation(null, name);
    }

    public boolean inMemory() {
        return dir == null;
    }

    public String jdbcUrl() {
        return inMemory() ? "jdbc:h2:mem:" + memName + ";DB_CLOSE_DELAY=-1"
                : "jdbc:h2:file:" + dir.resolve("journal") + ";DB_CLOSE_DELAY=-1";
    }

    @Override
    public String toString() {
        return inMemory() ? "mem" : "h2:" + dir;
    }

    /** The Pekko configuration that points the jdbc journal, snapshot store and read journal here. */
    public Config config() {
        return ConfigFactory.parseString("pekko-persistence-jdbc.shared-databases.slick.db.url = \""
                + jdbcUrl().replace("\\", "\\\\") + "\"");
    }

    /** Creates the folder and the tables (idempotent): the jdbc plugin's own H2 schema. */
    public void ensureSchema() throws IOException, SQLException {
        if (!inMemory()) {
            Files.createDirectories(dir);
        }
        String sql;
        try (InputStream in = JournalLocation.class.getResourceAsStream("/schema/h2/h2-create-schema.sql")) {
            if (in == null) {
                throw new IOException("pekko-persistence-jdbc's H2 schema is not on the classpath");
            }
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // the shipped script has one CREATE UNIQUE INDEX without IF NOT EXISTS: make it idempotent
        sql = sql.replace("CREATE UNIQUE INDEX \"", "CREATE UNIQUE INDEX IF NOT EXISTS \"");
        try (Connection c = DriverManager.getConnection(jdbcUrl(), "sa", ""); Statement st = c.createStatement()) {
            for (String stmt : sql.split(";")) {
                if (!stmt.isBlank()) {
                    st.execute(stmt);
                }
            }
        }
    }
}
