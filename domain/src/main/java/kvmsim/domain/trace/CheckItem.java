package kvmsim.domain.trace;

/**
 * One key of a CHECK with its expected value, of the Java type its {@link CheckKey#value} says:
 * a set of names, a String or null, a Boolean, a list of page indexes, or a map of properties.
 */
public record CheckItem(CheckKey key, Object expected) {
}
