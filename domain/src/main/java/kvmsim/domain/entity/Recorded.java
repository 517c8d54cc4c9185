package kvmsim.domain.entity;

/** An event as the journal keeps it: with the trace line of the step that caused it. */
public record Recorded(int line, Event event) {
}
