package kvmsim.actors.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;

/**
 * A journal row this kvmsim cannot turn back into an event: which persistence id and sequence
 * number, and why, in words (an event type or class it does not know, a payload that is not what
 * its serializer wrote). The reading commands report it and go on with the other runs.
 */
public final class UnreadableRow extends RuntimeException {

    private final String persistenceId;
    private final long sequenceNr;
    private final String reason;

    public UnreadableRow(String persistenceId, long sequenceNr, String reason) {
        super("cannot read " + persistenceId + " sequence number " + sequenceNr + ": " + reason);
        this.persistenceId = persistenceId;
        this.sequenceNr = sequenceNr;
        this.reason = reason;
    }

    /** The run the row belongs to: a persistence id is {@code <run>/<entity path>} or {@code <run>/log}. */
    public String run() {
        int slash = persistenceId.indexOf('/');
        return slash < 0 ? persistenceId : persistenceId.substring(0, slash);
    }

    /** The entity path, or {@code log} for the run log. */
    public String entity() {
        int slash = persistenceId.indexOf('/');
        return slash < 0 ? "" : persistenceId.substring(slash + 1);
    }

    public long sequenceNr() {
        return sequenceNr;
    }

    public String reason() {
        return reason;
    }

    /** Why decoding failed, in words, from the failure's causes; null if it is not a decoding failure. */
    static String reasonOf(Throwable failure) {
        for (Throwable c = failure; c != null; c = c.getCause()) {
            if (c instanceof InvalidTypeIdException t) {
                return "a type '" + t.getTypeId() + "' that this kvmsim does not know (written by a newer kvmsim, or "
                        + "changed)";
            }
            if (c instanceof ClassNotFoundException || c instanceof java.io.NotSerializableException) {
                return "a class this kvmsim does not have: " + firstLine(c.getMessage())
                        + " (written by a newer kvmsim, or not by kvmsim)";
            }
        }
        for (Throwable c = failure; c != null; c = c.getCause()) {
            if (c instanceof JsonProcessingException j) {
                return "its payload is not what kvmsim writes: " + firstLine(j.getOriginalMessage());
            }
            if (c.getClass().getName().startsWith("com.fasterxml.jackson")) {
                return "its payload is not what kvmsim writes: " + firstLine(c.getMessage());
            }
        }
        return null;
    }

    private static String firstLine(String m) {
        if (m == null) {
            return "(no message)";
        }
        int nl = m.indexOf('\n');
        String line = nl < 0 ? m : m.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 197) + "..." : line;
    }
}
