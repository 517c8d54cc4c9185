package kvmsim.domain.audit;

/** One event in the chain that led to a violation: the trace line, the entity, the event. */
public record ChainLink(int line, String entity, String event) {

    @Override
    public String toString() {
        return "line " + line + " " + entity + " " + event;
    }
}
