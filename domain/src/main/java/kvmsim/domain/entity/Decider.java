package kvmsim.domain.entity;

/**
 * decide/evolve of every entity kind: what the entity protocol asks of the model. The kinds'
 * deciders live above this package, so the protocol takes them as this interface.
 */
public interface Decider {

    /** The state of an entity that has persisted nothing yet. */
    EntityState initial(EntityId id);

    Decision decide(EntityState state, EntityCommand command);

    /** evolve(state, event); the trace line matters only to a VM that starts a broadcast (it resumes with it). */
    EntityState evolve(EntityState state, Recorded recorded);
}
