package kvmsim.domain.audit;

import kvmsim.domain.entity.Event;

/** One event in the chain that led to a violation: the trace line, the entity's path, the event itself. */
public record ChainLink(int line, String entity, Event event) {

    @Override
    public String toString() {
        return "line " + line + " " + entity + " " + event;
    }
}
