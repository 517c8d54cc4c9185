package kvmsim.domain.memslot;

/** A valid page-sized stage-2 leaf: always readable, maybe writable and executable. */
public record Stage2Pte(boolean writable, boolean executable) {
}
