package kvmsim.domain.entity;

/** The state of one entity; each entity package has its own record. */
public interface EntityState {

    /** Which kind of entity this is the state of: what the deciders are chosen by. */
    EntityId.Kind kind();

    /** The broadcast this entity persisted the start of and still waits on; null when none. */
    default Broadcast awaiting() {
        return null;
    }
}
