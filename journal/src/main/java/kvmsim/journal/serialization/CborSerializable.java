package kvmsim.journal.serialization;

/** Marks the project's own messages and events for Jackson CBOR (pekko 1.x has no built-in marker). */
public interface CborSerializable {
}
