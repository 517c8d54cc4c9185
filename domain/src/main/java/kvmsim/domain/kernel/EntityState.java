package kvmsim.domain.kernel;

/** The state of one entity; each entity package has its own record. */
public interface EntityState {
}
