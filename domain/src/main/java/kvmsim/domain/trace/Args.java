package kvmsim.domain.trace;

import java.util.List;
import java.util.Map;

/**
 * The fields of one trace line, checked against their types by the reader: what an op's parser
 * builds its step from. Every field of the op is present, an optional one the line left out with
 * its {@link Field#absent()} value.
 */
public record Args(StepMeta meta, Map<String, Object> values) {

    public boolean given(String field) {
        return values.get(field) != null;
    }

    public long u64(String field) {
        return (Long) values.get(field);
    }

    /** An optional number, null when absent. */
    public Long optU64(String field) {
        return (Long) values.get(field);
    }

    public String str(String field) {
        return (String) values.get(field);
    }

    public boolean bool(String field) {
        return (Boolean) values.get(field);
    }

    @SuppressWarnings("unchecked")
    public List<Long> list(String field) {
        return (List<Long>) values.get(field);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(String field) {
        return (T) values.get(field);
    }
}
