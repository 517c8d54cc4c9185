package kvmsim.domain.history;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An entity's state as a flat, sorted map from field path to value ({@code pendingOps},
 * {@code pkvm.hostStage2.tables[root].entries[3]}): what {@code state} prints and what {@code state
 * --diff} and {@code diff} compare. Records are opened by their components, maps by key, lists of
 * records by index; anything else is one value. Longs above 0xffff print in hex: they are
 * addresses, pfns and PTEs.
 */
public final class StateFields {

    private StateFields() {
    }

    public static SortedMap<String, String> of(Object state) {
        SortedMap<String, String> out = new TreeMap<>();
        flatten("", state, out);
        return out;
    }

    private static void flatten(String path, Object v, Map<String, String> out) {
        if (v instanceof Record r) {
            RecordComponent[] components = r.getClass().getRecordComponents();
            if (components.length == 0) {
                out.put(path, r.getClass().getSimpleName());
            }
            for (RecordComponent c : components) {
                flatten(path.isEmpty() ? c.getName() : path + "." + c.getName(), read(c, r), out);
            }
        } else if (v instanceof Map<?, ?> m && !m.isEmpty()) {
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            entries.sort(Comparator.comparing(Map.Entry::getKey, StateFields::compareKeys));
            for (Map.Entry<?, ?> e : entries) {
                flatten(path + "[" + scalar(e.getKey()) + "]", e.getValue(), out);
            }
        } else if (v instanceof Collection<?> c && c.stream().anyMatch(x -> x instanceof Record || x instanceof Map)) {
            int i = 0;
            for (Object x : c) {
                flatten(path + "[" + i++ + "]", x, out);
            }
        } else if (v instanceof Collection<?> c) {
            // a set's own order may be the JVM's whim (Set.copyOf): print it sorted, so it reads the same everywhere
            List<Object> items = new ArrayList<>(c);
            if (c instanceof java.util.Set) {
                items.sort(StateFields::compareKeys);
            }
            out.put(path, items.stream().map(StateFields::scalar).toList().toString());
        } else {
            out.put(path, v instanceof Map ? "{}" : scalar(v));
        }
    }

    private static Object read(RecordComponent c, Record r) {
        try {
            var accessor = c.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + c.getName() + " of " + r.getClass().getName(), e);
        }
    }

    private static String scalar(Object v) {
        if (v instanceof Long l && (l > 0xffff || l < 0)) {
            return "0x" + Long.toHexString(l);
        }
        return String.valueOf(v);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int compareKeys(Object a, Object b) {
        if (a instanceof Comparable ca && b != null && a.getClass() == b.getClass()) {
            return ca.compareTo(b);
        }
        return String.valueOf(a).compareTo(String.valueOf(b));
    }
}
