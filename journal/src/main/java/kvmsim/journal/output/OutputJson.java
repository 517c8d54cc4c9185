package kvmsim.journal.output;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Event;

/**
 * The {@code --json} output's one mapper (docs/json-output.md is its schema): every record as an
 * object of its components, keys in snake_case, map entries sorted; an event or a state is an object
 * that names its class: {@code {"event": "PendingOpsSet", "ops": [...]}}, {@code {"state": "VmState", ...}}.
 * Unlike the journal's CBOR, nothing here is read back: it is for jq, CI and people.
 */
public final class OutputJson {

    // not "type": VmCreated and VmState have a component of that name
    @JsonTypeInfo(use = JsonTypeInfo.Id.SIMPLE_NAME, include = JsonTypeInfo.As.PROPERTY, property = "event")
    private interface TypedEvent {
    }

    @JsonTypeInfo(use = JsonTypeInfo.Id.SIMPLE_NAME, include = JsonTypeInfo.As.PROPERTY, property = "state")
    private interface TypedState {
    }

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            // a record's components and nothing else: no derived getters (isX, getX) beside them
            .visibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false)
            .addMixIn(Event.class, TypedEvent.class)
            .addMixIn(EntityState.class, TypedState.class)
            .build();

    private OutputJson() {
    }

    /** One field that differs between two states as output JSON ({@code null} where a state has no such field). */
    public record Change(String field, JsonNode before, JsonNode after) {
    }

    /**
     * The fields, by their output names, in which two states differ; either state may be {@code null}
     * (the entity did not exist yet). The same comparison as the text output's, on JSON values.
     */
    public static List<Change> changes(EntityState before, EntityState after) {
        JsonNode a = before == null ? MAPPER.createObjectNode() : tree(before);
        JsonNode b = after == null ? MAPPER.createObjectNode() : tree(after);
        SortedSet<String> fields = new TreeSet<>();
        a.fieldNames().forEachRemaining(fields::add);
        b.fieldNames().forEachRemaining(fields::add);
        fields.remove("state");
        List<Change> out = new ArrayList<>();
        for (String f : fields) {
            if (!Objects.equals(a.get(f), b.get(f))) {
                out.add(new Change(f, a.get(f), b.get(f)));
            }
        }
        return out;
    }

    /** A new output line: {@code {"type": type}}. */
    public static ObjectNode line(String type) {
        return MAPPER.createObjectNode().put("type", type);
    }

    /** Any value as output JSON: records as snake_case objects, events and states with their type. */
    public static JsonNode tree(Object value) {
        // a root value is written as its own class, which does not see the mix-in on its interface
        Class<?> as = value instanceof Event ? Event.class : value instanceof EntityState ? EntityState.class : null;
        if (as == null) {
            return MAPPER.valueToTree(value);
        }
        try (TokenBuffer tokens = new TokenBuffer(MAPPER, false)) {
            MAPPER.writerFor(as).writeValue(tokens, value);
            return MAPPER.readTree(tokens.asParser());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
