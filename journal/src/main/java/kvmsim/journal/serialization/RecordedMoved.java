package kvmsim.journal.serialization;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * {@code Recorded}, the envelope every entity event is persisted in, moved from
 * {@code kvmsim.domain.kernel} to {@code kvmsim.domain.entity}. Rows written before name the old
 * class in their manifest; this tells Pekko's Jackson serializer which class that is now. The
 * payload itself did not change.
 */
public final class RecordedMoved extends JacksonMigration {

    @Override
    public int currentVersion() {
        return 2; // rows of the old name carry no version: 1 < 2 makes Pekko ask transformClassName
    }

    @Override
    public String transformClassName(int fromVersion, String className) {
        return kvmsim.domain.entity.Recorded.class.getName();
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
        return json;
    }
}
