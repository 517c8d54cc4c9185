package kvmsim.domain.trace;

/**
 * A field of a trace op: its name, how it is written, and whether a line must give it. An optional
 * field the line leaves out has the value {@code absent} (null when the op treats absence itself).
 */
public record Field(String name, FieldType type, boolean required, Object absent) {

    public static Field required(String name, FieldType type) {
        return new Field(name, type, true, null);
    }

    public static Field optional(String name, FieldType type, Object absent) {
        return new Field(name, type, false, absent);
    }
}
