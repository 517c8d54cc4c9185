package kvmsim.domain.trace;

/** What every step has: its line in the trace file, its thread, and what it must return. */
public record StepMeta(int line, String thread, Expect expect) {
}
