package kvmsim.domain.audit;

import java.util.List;

/** A broken invariant: which, where (entity and trace line), and the chain of events that led to it. */
public record Violation(String invariant, String entity, int line, List<ChainLink> chain) {

    public Violation {
        chain = List.copyOf(chain);
    }

    /** The violation without its chain: what two checks of one run must agree on. */
    public String place() {
        return invariant + " at " + entity + " line " + line;
    }
}
