package kvmsim.journal.testing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import kvmsim.journal.serialization.KvmsimJacksonModule;

/**
 * Writes a value as Jackson CBOR and reads it back, with kvmsim's module and as Pekko's jackson-cbor
 * serializer is configured (unknown properties, such as a getter Jackson also writes, are ignored on
 * reading): what the journal and the cluster do to every command, event and state.
 */
public final class CborRoundTrip {

    private static final ObjectMapper CBOR = new ObjectMapper(new CBORFactory())
            .registerModule(new KvmsimJacksonModule())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private CborRoundTrip() {
    }

    /** The mapper itself, for a test that looks at the bytes. */
    public static ObjectMapper mapper() {
        return CBOR;
    }

    /** {@code value} written as {@code as} (so with its type id) and read back. */
    public static <T> T of(T value, Class<? super T> as) throws Exception {
        @SuppressWarnings("unchecked")
        T back = (T) CBOR.readValue(CBOR.writerFor(as).writeValueAsBytes(value), as);
        return back;
    }
}
