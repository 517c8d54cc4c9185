package kvmsim.journal.trace;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kvmsim.domain.trace.BadStep;

/** One line of a trace as JSON: exactly one object, no key given twice, nothing after it. */
final class JsonLine {

    private JsonLine() {
    }

    // Duplicate detection is off in Jackson by default, and a key given twice must not let the
    // second value silently win (trace-format.md). Big decimals keep a float's text as written for
    // the error message.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'");

    static ObjectNode read(String text) {
        JsonNode node;
        try (JsonParser p = JSON.getFactory().createParser(text)) {
            node = JSON.readTree(p);
            JsonToken extra;
            try {
                extra = p.nextToken();
            } catch (JsonProcessingException e) {
                throw BadStep.of("trailing characters after the JSON object");
            }
            if (extra != null) {
                throw BadStep.of("trailing characters after the JSON object");
            }
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            Matcher m = DUPLICATE.matcher(msg == null ? "" : msg);
            if (m.matches()) {
                throw BadStep.of("duplicate key '%s'", m.group(1));
            }
            String where = e.getLocation() == null ? "" : " (column " + e.getLocation().getColumnNr() + ")";
            throw BadStep.of("not JSON: %s%s", firstLine(msg), where);
        } catch (IOException e) {
            throw BadStep.of("not JSON: %s", e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw BadStep.of("not a JSON object: %s", node == null ? "" : abbreviate(node.toString()));
        }
        return (ObjectNode) node;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
