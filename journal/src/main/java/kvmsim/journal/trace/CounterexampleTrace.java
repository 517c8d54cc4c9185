package kvmsim.journal.trace;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.engine.Mismatch;
import kvmsim.domain.explore.trace.Exploration;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;

/**
 * An order that explore found, written as a trace that {@code kvmsim replay} reproduces: the policies it was found under, the
 * steps in the bad order (each under a comment citing its line and thread in the explored file), and a {@code violations}
 * CHECK listing every invariant broken on the way, so the replay exits 0. An {@code expect} that does not hold in this order is
 * left out, with a comment saying what the step returns here; CHECK steps of the explored file are left out (their values
 * held for the file's order). Replayed under a policy that fixes the bug, the CHECK fails and shows what no longer breaks.
 */
public final class CounterexampleTrace {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CounterexampleTrace() {
    }

    /** The text of the counterexample trace, one line per element. */
    public static List<String> lines(TraceFile explored, Exploration.Found found, Policies policies) {
        List<Integer> numbers = new ArrayList<>();
        found.steps().forEach(s -> numbers.add(s.line()));
        Map<Integer, String> text = explored.lines(numbers);
        List<String> out = new ArrayList<>();
        out.add("# kvmsim explore: " + found.violation().invariant() + " at " + found.violation().entity() + ", in "
                + found.depth() + " steps after the set-up prefix of " + explored.file());
        out.add("# each step cites its line in " + explored.file() + "; replay this file to see the violation's chain");
        Map<String, String> changed = Policies.changedFromDefaults(policies.values());
        if (!changed.isEmpty()) {
            ObjectNode policy = JSON.createObjectNode().put("op", "POLICY");
            changed.forEach(policy::put);
            out.add(policy.toString());
        }
        int prefix = found.steps().size() - found.depth();
        for (int i = 0; i < found.steps().size(); i++) {
            Step step = found.steps().get(i);
            if (step instanceof Step.HostDecl h && h.implicit()) {
                continue; // replay declares it again before the host's first use
            }
            String where = i < prefix ? "set-up prefix" : "thread " + found.threads().get(i - prefix);
            out.add("# line " + step.line() + ", " + where);
            ObjectNode node = parse(explored.file(), step.line(), text.get(step.line()));
            List<Mismatch> failed = found.mismatches().get(i);
            if (!failed.isEmpty()) {
                node.remove("expect");
                out.add("# its expect does not hold in this order, left out: "
                        + String.join("; ", failed.stream().map(Mismatch::toString).toList()));
            }
            out.add(node.toString());
        }
        ObjectNode check = JSON.createObjectNode().put("op", "CHECK");
        found.brokenOnTheWay().stream().sorted().forEach(check.putArray("violations")::add);
        out.add(check.toString());
        return out;
    }

    private static ObjectNode parse(String file, int line, String text) {
        try {
            if (text != null && JSON.readTree(text) instanceof ObjectNode node) {
                return node;
            }
        } catch (IOException e) {
            // reported below
        }
        throw new TraceFile.Unreadable(file + ":" + line + ": changed after it was explored", null);
    }
}
