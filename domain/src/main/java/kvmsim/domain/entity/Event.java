package kvmsim.domain.entity;

/** A fact about one entity; each entity package has its own sealed hierarchy. */
public interface Event {
}
