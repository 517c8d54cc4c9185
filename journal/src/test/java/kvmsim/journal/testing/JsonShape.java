package kvmsim.journal.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What --json output must not contain (docs/json-output.md): a key that is a camelCase identifier
 * (a record component that escaped the snake_case naming), or a value that is a Java record's
 * toString() ({@code Name[field=...]}). Other keys are snake_case properties or a map's data (a gmem
 * file {@code "create.g0"}, a block {@code "L1@0x0"}, a policy {@code "sanitise-tags"}).
 */
public final class JsonShape {

    private JsonShape() {
    }

    /** Each problem found in {@code n}, prefixed with {@code where}. */
    public static List<String> problems(String where, JsonNode n) {
        List<String> out = new ArrayList<>();
        collect(where, n, out);
        return out;
    }

    private static void collect(String where, JsonNode n, List<String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(f -> {
                if (f.getKey().matches("[a-z][a-z0-9]*([A-Z][A-Za-z0-9]*)+")) {
                    out.add(where + ": key " + f.getKey());
                }
                collect(where, f.getValue(), out);
            });
        } else if (n.isArray()) {
            n.forEach(x -> collect(where, x, out));
        } else if (n.isTextual() && n.asText().matches("(?s).*[A-Za-z]\\[[a-zA-Z]+=.*")) {
            out.add(where + ": a Java string " + n.asText());
        }
    }
}
