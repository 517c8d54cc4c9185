package kvmsim.journal.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import com.fasterxml.jackson.databind.deser.Deserializers;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.jsontype.TypeDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.type.MapType;
import java.io.IOException;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import org.pcollections.TreePMap;

/**
 * How the journal writes the large maps of entity states (a memslot's SPTEs, a host's pages, a
 * vCPU's TLB: one entry per page a guest touched) so that a snapshot of a million-page guest loads
 * in a fraction of a second. A state's persistent map with Long keys and at least
 * {@link #COMPACT_FROM} entries is written as three arrays: its distinct values once each, its
 * keys in ascending order as differences from the key before, and each entry's value as an index
 * into the first array ({@code [[v0, v1], [k0, k1-k0, ...], [0, 0, 1, ...]]}): a few bytes an entry
 * instead of a field name and a whole object. Smaller maps, other keys and every other map keep
 * the JSON object form, and a map in either form reads back, so snapshots written before this
 * (all objects) still load. Only the persistence mapper has this module; --json output is not
 * affected.
 */
final class CompactStateMaps {

    /** Maps smaller than this are written as objects, as they always were. */
    static final int COMPACT_FROM = 64;

    private CompactStateMaps() {
    }

    /** Writes a state's persistent map: compact when it is large and keyed by Long, else as an object. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static final class Writer extends StdSerializer<TreePMap> {

        Writer() {
            super(TreePMap.class);
        }

        @Override
        public boolean isEmpty(SerializerProvider provider, TreePMap value) {
            return value.isEmpty();
        }

        @Override
        public void serialize(TreePMap map, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (map.size() >= COMPACT_FROM && map.firstKey() instanceof Long) {
                compact((TreePMap<Long, Object>) map, gen, provider);
                return;
            }
            gen.writeStartObject(map);
            for (Map.Entry<?, ?> e : ((Map<?, ?>) map).entrySet()) {
                gen.writeFieldName(String.valueOf(e.getKey())); // Jackson's own key form for Long, Integer, String
                provider.defaultSerializeValue(e.getValue(), gen);
            }
            gen.writeEndObject();
        }

        private static void compact(TreePMap<Long, Object> map, JsonGenerator gen, SerializerProvider provider)
                throws IOException {
            Map<Object, Integer> index = new HashMap<>();
            List<Object> distinct = new ArrayList<>();
            int[] which = new int[map.size()];
            int i = 0;
            for (Object v : map.values()) {
                which[i++] = index.computeIfAbsent(v, x -> {
                    distinct.add(x);
                    return distinct.size() - 1;
                });
            }
            gen.writeStartArray(map, 3);
            gen.writeStartArray(distinct, distinct.size());
            for (Object v : distinct) {
                provider.defaultSerializeValue(v, gen);
            }
            gen.writeEndArray();
            gen.writeStartArray(map, map.size());
            long previous = 0;
            boolean first = true;
            for (long k : map.keySet()) {
                gen.writeNumber(first ? k : k - previous);
                previous = k;
                first = false;
            }
            gen.writeEndArray();
            gen.writeArray(which, 0, which.length);
            gen.writeEndArray();
        }
    }

    /** Finds {@link Reader} for every property declared {@code Map<Long, V>}. */
    static final class Finder extends Deserializers.Base {
        @Override
        public JsonDeserializer<?> findMapDeserializer(MapType type, DeserializationConfig config,
                BeanDescription beanDesc, KeyDeserializer keyDeserializer, TypeDeserializer elementTypeDeserializer,
                JsonDeserializer<?> elementDeserializer) {
            if (type.getRawClass() == Map.class && type.getKeyType().hasRawClass(Long.class)
                    && elementTypeDeserializer == null) {
                return new Reader(type, null, null);
            }
            return null;
        }
    }

    /**
     * Reads a {@code Map<Long, V>} in either form: an object as Jackson always read it (a
     * LinkedHashMap), or the compact arrays (a persistent map, its keys checked ascending).
     */
    static final class Reader extends StdDeserializer<Map<Long, Object>> implements ContextualDeserializer {

        private final MapType type;
        private final JsonDeserializer<Object> asObject;
        private final JsonDeserializer<Object> values;

        Reader(MapType type, JsonDeserializer<Object> asObject, JsonDeserializer<Object> values) {
            super(type);
            this.type = type;
            this.asObject = asObject;
            this.values = values;
        }

        @Override
        public JsonDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property)
                throws com.fasterxml.jackson.databind.JsonMappingException {
            JavaType plain = ctxt.getTypeFactory().constructMapType(LinkedHashMap.class, type.getKeyType(),
                    type.getContentType());
            return new Reader(type, ctxt.findContextualValueDeserializer(plain, property),
                    ctxt.findContextualValueDeserializer(type.getContentType(), property));
        }

        @Override
        @SuppressWarnings("unchecked")
        public Map<Long, Object> deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.isExpectedStartArrayToken()) {
                return (Map<Long, Object>) asObject.deserialize(p, ctxt);
            }
            List<Object> distinct = new ArrayList<>();
            expectArray(p, ctxt);
            while (p.nextToken() != JsonToken.END_ARRAY) {
                distinct.add(values.deserialize(p, ctxt));
            }
            expectArray(p, ctxt);
            long[] keys = new long[16];
            int n = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                long k = n == 0 ? p.getLongValue() : keys[n - 1] + p.getLongValue();
                if (n > 0 && k <= keys[n - 1]) {
                    return ctxt.reportInputMismatch(this, "compact map: key %d after %d is not ascending", k, keys[n - 1]);
                }
                if (n == keys.length) {
                    keys = Arrays.copyOf(keys, n * 2);
                }
                keys[n++] = k;
            }
            expectArray(p, ctxt);
            Object[] vals = new Object[n];
            int m = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                int i = p.getIntValue();
                if (m >= n || i < 0 || i >= distinct.size()) {
                    return ctxt.reportInputMismatch(this, "compact map: value index %d of entry %d out of range", i, m);
                }
                vals[m++] = distinct.get(i);
            }
            if (m != n || p.nextToken() != JsonToken.END_ARRAY) {
                return ctxt.reportInputMismatch(this, "compact map: %d keys and %d values", n, m);
            }
            return TreePMap.fromSortedMap(new Ascending(keys, n, vals));
        }

        private void expectArray(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                ctxt.reportInputMismatch(this, "compact map: expected an array, not %s", p.currentToken());
            }
        }
    }

    /** Keys already checked ascending, with their values: what TreePMap.fromSortedMap builds from in linear time. */
    private static final class Ascending extends AbstractMap<Long, Object> implements SortedMap<Long, Object> {

        private final long[] keys;
        private final int size;
        private final Object[] values;

        Ascending(long[] keys, int size, Object[] values) {
            this.keys = keys;
            this.size = size;
            this.values = values;
        }

        @Override
        public Set<Map.Entry<Long, Object>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public int size() {
                    return size;
                }

                @Override
                public Iterator<Map.Entry<Long, Object>> iterator() {
                    return new Iterator<>() {
                        private int i;

                        @Override
                        public boolean hasNext() {
                            return i < size;
                        }

                        @Override
                        public Map.Entry<Long, Object> next() {
                            if (i >= size) {
                                throw new java.util.NoSuchElementException();
                            }
                            Map.Entry<Long, Object> e = new AbstractMap.SimpleImmutableEntry<>(keys[i], values[i]);
                            i++;
                            return e;
                        }
                    };
                }
            };
        }

        @Override
        public Comparator<? super Long> comparator() {
            return null; // natural order, as StateMaps builds its maps
        }

        // the views: correct but copying; fromSortedMap only iterates the entries
        @Override
        public SortedMap<Long, Object> subMap(Long fromKey, Long toKey) {
            return new java.util.TreeMap<>(this).subMap(fromKey, toKey);
        }

        @Override
        public SortedMap<Long, Object> headMap(Long toKey) {
            return new java.util.TreeMap<>(this).headMap(toKey);
        }

        @Override
        public SortedMap<Long, Object> tailMap(Long fromKey) {
            return new java.util.TreeMap<>(this).tailMap(fromKey);
        }

        @Override
        public Long firstKey() {
            return keys[0];
        }

        @Override
        public Long lastKey() {
            return keys[size - 1];
        }
    }
}
