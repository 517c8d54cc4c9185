package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import kvmsim.actors.history.StoredRun;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.history.FieldChange;
import kvmsim.domain.history.RunHistory;
import kvmsim.domain.history.StateFields;
import kvmsim.domain.history.StateFold;
import kvmsim.domain.history.StepRecord;
import kvmsim.journal.output.OutputJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "state", description = "The state of a run's entities just after a step, rebuilt by folding the "
        + "stored events (--at N), or what changed between two steps (--diff N M). N is the step's trace line, "
        + "as replay and history print it.")
final class StateCommand extends ReadCommand {

    @Mixin
    RunOption run;

    @Option(names = "--at", paramLabel = "N", description = "the trace line of the step to stop after")
    Integer at;

    @Option(names = "--diff", arity = "2", paramLabel = "N M", hideParamSyntax = true, description = "two trace lines: what changed from just after N to just after M")
    List<Integer> diff;

    @Option(names = "--entity", paramLabel = "PATH", description = "an entity or a prefix: vm/vm0, vcpu/vm0, host/host0")
    String entity;

    @Override
    void validate() {
        if ((at == null) == (diff == null)) {
            throw new BadInput("state: give --at N or --diff N M (one of them)");
        }
        List<Integer> lines = at != null ? List.of(at) : diff;
        for (int l : lines) {
            if (l < 0) {
                throw new BadInput("state: a trace line is 0 or more, not " + l);
            }
        }
    }

    @Override
    int read(JournalSession session) {
        StoredRun stored = run.read(session);
        long expected = stored.finished() == null ? 0 : stored.finished().events();
        RunHistory history = session.history(stored, progress("reading " + stored.id(), expected));
        return at != null ? printAt(history, stored) : printDiff(history, stored);
    }

    private int printAt(RunHistory history, StoredRun stored) {
        SortedMap<EntityId, EntityState> states = selected(new TreeMap<>(StateFold.at(history.events(), at)));
        if (!json) {
            out.println("state of run " + stored.id() + " just after " + stepName(stored, at));
        }
        for (Map.Entry<EntityId, EntityState> e : states.entrySet()) {
            if (json) {
                ObjectNode n = object("state").put("run", stored.id()).put("at", at).put("entity", e.getKey().path());
                n.set("state", OutputJson.tree(e.getValue()));
                out.println(n);
            } else {
                out.println(e.getKey().path());
                StateFields.of(e.getValue()).forEach((k, v) -> out.println("    " + k + " = " + v));
            }
        }
        if (!json) {
            out.println(states.size() + " entities");
        }
        return 0;
    }

    private int printDiff(RunHistory history, StoredRun stored) {
        int from = diff.get(0);
        int to = diff.get(1);
        SortedMap<EntityId, List<FieldChange>> changes = selected(StateFold.diff(history.events(), from, to));
        Map<EntityId, EntityState> before = json ? StateFold.at(history.events(), from) : Map.of();
        Map<EntityId, EntityState> after = json ? StateFold.at(history.events(), to) : Map.of();
        if (!json) {
            out.println("run " + stored.id() + ": from just after " + stepName(stored, from) + " to just after "
                    + stepName(stored, to));
        }
        int fields = 0;
        for (Map.Entry<EntityId, List<FieldChange>> e : changes.entrySet()) {
            if (json) {
                for (OutputJson.Change c : OutputJson.changes(before.get(e.getKey()), after.get(e.getKey()))) {
                    fields++;
                    ObjectNode n = object("change").put("run", stored.id()).put("from", from).put("to", to)
                            .put("entity", e.getKey().path()).put("field", c.field());
                    n.set("before", c.before());
                    n.set("after", c.after());
                    out.println(n);
                }
                continue;
            }
            out.println(e.getKey().path());
            for (FieldChange c : e.getValue()) {
                fields++;
                out.println("    " + c);
            }
        }
        if (!json) {
            out.println(fields + " fields changed in " + changes.size() + " entities");
        }
        return 0;
    }

    // --entity keeps the entities under a prefix; one that matches nothing is a mistake worth saying
    private <V> SortedMap<EntityId, V> selected(SortedMap<EntityId, V> all) {
        if (entity == null) {
            return all;
        }
        SortedMap<EntityId, V> out = new TreeMap<>();
        all.forEach((id, v) -> {
            if (EntityId.isUnder(id.path(), entity)) {
                out.put(id, v);
            }
        });
        if (out.isEmpty() && at != null) {
            throw new BadInput("--entity " + entity + ": no entity under that path at that point of the run");
        }
        return out;
    }

    private static String stepName(StoredRun stored, int line) {
        for (StepRecord s : stored.steps()) {
            if (s.line() == line) {
                return "line " + line + " (" + s.op() + " -> " + s.answer() + ")";
            }
        }
        return "line " + line;
    }
}
