package kvmsim.domain.entity;


/** An event with the entity that persisted it: one entry of a command's trail across entities. */
public record Emitted(EntityId entity, Recorded recorded) {
}
