package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import kvmsim.actors.history.StoredRun;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Event;
import kvmsim.domain.history.RunDiff;
import kvmsim.domain.history.RunHistory;
import kvmsim.domain.history.StepRecord;
import kvmsim.journal.output.OutputJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "diff", description = "Where two runs part ways: the trace's expectations that fail in one run and "
        + "hold in the other, the first step where they diverge (the kernel's answer, the events, the state) with both "
        + "sides shown, then every divergence. Exit 0: they agree on every step; 1: they diverge.")
final class DiffCommand extends ReadCommand {

    @Parameters(index = "0", paramLabel = "RUN_A")
    String runA;

    @Parameters(index = "1", paramLabel = "RUN_B")
    String runB;

    @Option(names = "--limit", paramLabel = "K", defaultValue = "50",
            description = "list at most K divergences after the first (default ${DEFAULT-VALUE}; --json lists all)")
    int limit;

    @Override
    void validate() {
        if (limit < 0) {
            throw new BadInput("--limit takes 0 or more, not " + limit);
        }
    }

    @Override
    int read(JournalSession session) {
        StoredRun a = session.run(RunId.check(runA, "RUN_A"), "RUN_A");
        StoredRun b = session.run(RunId.check(runB, "RUN_B"), "RUN_B");
        RunHistory ha = session.history(a, progress("reading " + a.id(), 0));
        RunHistory hb = session.history(b, progress("reading " + b.id(), 0));
        List<RunDiff.Divergence> all = RunDiff.between(ha, hb);
        boolean results = !a.steps().isEmpty() && !b.steps().isEmpty();
        if (json) {
            all.forEach(d -> out.println(divergenceJson(d)));
            ObjectNode sum = object("diff").put("a", a.id()).put("b", b.id()).put("trace_a", ha.trace())
                    .put("trace_b", hb.trace()).put("divergent_steps", all.size()).put("results_compared", results)
                    .put("first_line", all.isEmpty() ? null : all.get(0).line());
            for (RunDiff.Kind k : RunDiff.Kind.values()) {
                sum.put(k.name().toLowerCase(), all.stream().filter(d -> d.kinds().contains(k)).count());
            }
            out.println(sum);
            return all.isEmpty() ? 0 : 1;
        }
        out.println("A  " + a.id() + "  trace " + ha.trace() + "  " + RunsCommand.nonDefault(ha.policies()));
        out.println("B  " + b.id() + "  trace " + hb.trace() + "  " + RunsCommand.nonDefault(hb.policies()));
        if (!ha.trace().equals(hb.trace())) {
            out.println("(different traces: compared line by line all the same)");
        }
        if (!results) {
            out.println("(a run of journal format 1 kept no step results: comparing events and state only)");
        }
        if (all.isEmpty()) {
            out.println("the runs agree on every step: same results, same events, same state");
            return 0;
        }
        printExpectations(ha.trace(), all);
        printFirst(ha.trace(), all.get(0));
        out.printf("%d steps diverge (%d in results, %d in expectations, %d in events, %d in state):%n", all.size(),
                count(all, RunDiff.Kind.RESULT), count(all, RunDiff.Kind.EXPECTATIONS), count(all, RunDiff.Kind.EVENTS),
                count(all, RunDiff.Kind.STATE));
        for (RunDiff.Divergence d : all.subList(0, Math.min(all.size(), limit))) {
            out.printf("  %s:%-5d %-28s %-20s A: %-12s B: %s%n", ha.trace(), d.line(), d.op(), kinds(d),
                    answer(d.a()), answer(d.b()));
        }
        if (all.size() > limit) {
            out.println("  ... " + (all.size() - limit) + " more (--limit, or --json for all)");
        }
        return 1;
    }

    // what a trace author looks for first: which of the trace's claims one policy keeps and the other breaks
    private void printExpectations(String trace, List<RunDiff.Divergence> all) {
        List<RunDiff.Divergence> differ = all.stream().filter(d -> d.kinds().contains(RunDiff.Kind.EXPECTATIONS))
                .toList();
        if (differ.isEmpty()) {
            return;
        }
        out.println("expectations that fail in one run and hold in the other (" + differ.size() + " steps):");
        for (RunDiff.Divergence d : differ) {
            d.failsOnlyInA().forEach(m -> out.printf("  %s:%d  %s  fails in A, holds in B: %s%n", trace, d.line(),
                    d.op(), m));
            d.failsOnlyInB().forEach(m -> out.printf("  %s:%d  %s  fails in B, holds in A: %s%n", trace, d.line(),
                    d.op(), m));
        }
    }

    private void printFirst(String trace, RunDiff.Divergence d) {
        out.println("first divergence at " + trace + ":" + d.line() + "  " + d.op() + "  (" + kinds(d) + ")");
        out.println("  result  A: " + answer(d.a()) + "   B: " + answer(d.b()));
        printEvents("A", d.eventsA());
        printEvents("B", d.eventsB());
        d.state().forEach((id, changes) -> {
            out.println("  state of " + id.path() + " after the step (A -> B):");
            changes.forEach(c -> out.println("      " + c));
        });
    }

    private void printEvents(String side, Map<EntityId, List<Event>> events) {
        out.println("  events " + side + ":" + (events.isEmpty() ? " none" : ""));
        events.forEach((id, list) -> list.forEach(e -> out.println("      " + id.path() + "  " + e)));
    }

    private static String answer(StepRecord s) {
        return s == null ? "-" : s.answer() + (s.violations().isEmpty() ? "" : " " + s.violations());
    }

    private static String kinds(RunDiff.Divergence d) {
        return String.join(",", d.kinds().stream().map(k -> k.name().toLowerCase()).toList());
    }

    private static long count(List<RunDiff.Divergence> all, RunDiff.Kind k) {
        return all.stream().filter(d -> d.kinds().contains(k)).count();
    }

    private ObjectNode divergenceJson(RunDiff.Divergence d) {
        ObjectNode n = object("divergence").put("line", d.line()).put("op", d.op());
        n.set("kinds", JSON.valueToTree(d.kinds().stream().map(k -> k.name().toLowerCase()).toList()));
        n.set("fails_only_in_a", JSON.valueToTree(d.failsOnlyInA()));
        n.set("fails_only_in_b", JSON.valueToTree(d.failsOnlyInB()));
        n.set("a", JSON.valueToTree(d.a()));
        n.set("b", JSON.valueToTree(d.b()));
        n.set("events_a", events(d.eventsA()));
        n.set("events_b", events(d.eventsB()));
        ArrayNode state = n.putArray("state");
        for (EntityId id : d.state().keySet()) {
            for (OutputJson.Change c : OutputJson.changes(d.statesA().get(id), d.statesB().get(id))) {
                ObjectNode change = state.addObject().put("entity", id.path()).put("field", c.field());
                change.set("a", c.before());
                change.set("b", c.after());
            }
        }
        return n;
    }

    // in entity order, each entity's events in its own order: [{"entity": "vm/vm0", "event": {...}}, ...]
    private static ArrayNode events(Map<EntityId, List<Event>> events) {
        ArrayNode arr = JSON.createArrayNode();
        events.forEach((id, list) -> list.forEach(e -> arr.addObject().put("entity", id.path())
                .set("event", OutputJson.tree(e))));
        return arr;
    }
}
