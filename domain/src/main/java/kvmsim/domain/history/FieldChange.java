package kvmsim.domain.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** One field of a state that differs between two points: {@code before} or {@code after} is null where the field is absent. */
public record FieldChange(String field, String before, String after) {

    /** Every field whose value differs between {@code a} and {@code b}, in field order. */
    public static List<FieldChange> between(Map<String, String> a, Map<String, String> b) {
        TreeSet<String> fields = new TreeSet<>(a.keySet());
        fields.addAll(b.keySet());
        List<FieldChange> out = new ArrayList<>();
        for (String f : fields) {
            String x = a.get(f);
            String y = b.get(f);
            if (emptiedOrFilled(f, x, a, y, b)) {
                continue;
            }
            if (x == null ? y != null : !x.equals(y)) {
                out.add(new FieldChange(f, x, y));
            }
        }
        return out;
    }

    // an empty map flattens to "m = {}", a filled one to "m[k] = v": the entries are the change, not "{}"
    private static boolean emptiedOrFilled(String f, String x, Map<String, String> a, String y, Map<String, String> b) {
        return ("{}".equals(x) && y == null && hasEntries(b, f)) || ("{}".equals(y) && x == null && hasEntries(a, f));
    }

    private static boolean hasEntries(Map<String, String> m, String field) {
        String prefix = field + "[";
        return m.keySet().stream().anyMatch(k -> k.startsWith(prefix));
    }

    @Override
    public String toString() {
        return field + ": " + (before == null ? "(absent)" : before) + " -> " + (after == null ? "(absent)" : after);
    }
}
