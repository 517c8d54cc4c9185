package kvmsim.domain.entity;

import java.util.List;

/**
 * Cross-entity work an entity is waiting on: send {@link #request()} to every entity in
 * {@link #to()}, collect one acknowledgement from each, then hand them back to the waiting entity
 * as {@link #completion(List)}. The waiting entity's state says so ({@link EntityState#awaiting()}),
 * so the engine that persisted the request carries the broadcast out, and one that recovers the
 * entity mid-broadcast carries it out again: receivers must treat a repeated request as done, and
 * answer it as they did the first time ({@link Decision#again}).
 */
public interface Broadcast {

    List<EntityId> to();

    EntityCommand request();

    /** The command the waiting entity handles once every receiver answered, acks in {@link #to()} order. */
    EntityCommand completion(List<Ack> acks);

    /** The trace line the broadcast belongs to: its receivers' events and the completion are recorded with it. */
    int line();
}
