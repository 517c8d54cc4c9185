package kvmsim.actors.entity;

/**
 * A persistent actor stopped because its journal failed: a write it could not make (a full disk, a
 * database that went away) or a recovery that could not read. Not an error of kvmsim, nor of the
 * input: the replay stops, and the journal keeps every event it confirmed before.
 */
public final class JournalFailed extends RuntimeException {

    private final String actor;

    public JournalFailed(String actor, Throwable cause) {
        this(actor, cause, actor + ": " + rootMessage(cause));
    }

    private JournalFailed(String actor, Throwable cause, String message) {
        super(message, cause);
        this.actor = actor;
    }

    /** The same failure, told with where the journal is ({@code --journal}, and what its disk has left). */
    public JournalFailed where(String journal) {
        JournalFailed told = new JournalFailed(actor, getCause(), getMessage() + " [journal " + journal + "]");
        for (Throwable s : getSuppressed()) {
            told.addSuppressed(s);
        }
        return told;
    }

    /** The persistence id of the entity or run log that stopped. */
    public String actor() {
        return actor;
    }

    /** The run whose entity or run log it was: the persistence id's first part. */
    public String runId() {
        int slash = actor.indexOf('/');
        return slash < 0 ? actor : actor.substring(0, slash);
    }

    // what the database said, in one line: the innermost message (following a batch's next
    // exception too), without the SQL statement H2 appends
    private static String rootMessage(Throwable t) {
        String said = null;
        for (Throwable c = t; c != null; c = next(c)) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                said = c.getMessage();
            }
        }
        if (said == null) {
            return t.getClass().getSimpleName();
        }
        String line = said.lines().findFirst().orElse(said);
        int sql = line.indexOf("; SQL statement:");
        return sql < 0 ? line : line.substring(0, sql);
    }

    private static Throwable next(Throwable c) {
        if (c instanceof java.sql.SQLException q && q.getNextException() != null && q.getNextException() != c) {
            return q.getNextException();
        }
        return c.getCause() == c ? null : c.getCause();
    }
}
