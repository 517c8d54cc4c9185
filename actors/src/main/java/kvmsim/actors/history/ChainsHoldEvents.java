package kvmsim.actors.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * A violation's chain links hold the event itself since version 2 of {@link RunLog.RunFinished};
 * version 1 kept only the event's text, from which no event can be rebuilt. Such a run reads back
 * with its online violations' chains empty: {@code audit} compares where violations are (which
 * invariant, entity and line), and recomputes the chains from the run's events anyway.
 */
public final class ChainsHoldEvents extends JacksonMigration {

    @Override
    public int currentVersion() {
        return 2;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
        if (fromVersion < 2 && json.get("found") != null && json.get("found").isArray()) {
            for (JsonNode v : json.get("found")) {
                JsonNode chain = v.get("chain");
                boolean text = chain != null && chain.isArray() && chain.size() > 0
                        && chain.get(0).path("event").isTextual();
                if (text) {
                    ((ObjectNode) v).putArray("chain");
                }
            }
        }
        return json;
    }
}
