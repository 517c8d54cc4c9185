package kvmsim.domain.trace;

/**
 * One key of a CHECK with its expected value: a {@code java.util.Set<String>} for pending_ops,
 * caps and violations; a String or null for locked; a Boolean for dirty_logging; a
 * {@code java.util.Map<String, Boolean>} for page.
 */
public record CheckItem(String key, Object expected) {
}
