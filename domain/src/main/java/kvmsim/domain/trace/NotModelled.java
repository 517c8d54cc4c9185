package kvmsim.domain.trace;

/** A valid step the model does not cover where it stands (an x86-only op on an arm64 VM): why, and where. */
public record NotModelled(int line, String op, String reason) {
}
