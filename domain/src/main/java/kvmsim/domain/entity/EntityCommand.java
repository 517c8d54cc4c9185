package kvmsim.domain.entity;

/** A command to one entity; each entity package has its own sealed hierarchy. */
public interface EntityCommand {
}
