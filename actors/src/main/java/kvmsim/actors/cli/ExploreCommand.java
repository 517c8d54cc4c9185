package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.TextReport;
import kvmsim.domain.explore.ExploreOptions;
import kvmsim.domain.explore.ExploreResult;
import kvmsim.domain.explore.trace.Exploration;
import kvmsim.domain.explore.trace.ThreadSplit;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;
import kvmsim.journal.output.OutputJson;
import kvmsim.journal.trace.CounterexampleTrace;
import kvmsim.journal.trace.TraceFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "explore", description = "Run every order of a trace's threads that keeps each thread's own order, "
        + "check every invariant after every step, and report the shortest order that breaks each one.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:no order breaks an invariant the trace does not expect",
                "1:some order breaks an invariant the trace does not expect",
                "2:bad input or usage (FILE:LINE: what is wrong)",
                "3:an internal error of kvmsim (--debug shows the stack trace)"})
public final class ExploreCommand implements Callable<Integer> {

    static final long DEFAULT_MAX_STATES = 200_000;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TRACE", description = "a trace (docs/trace-format.md); - reads standard input")
    Path trace;

    @Option(names = "--policy", paramLabel = "KEY=VALUE", description = "a kernel variant; wins over the trace's POLICY")
    Map<String, String> policies = new LinkedHashMap<>();

    @Option(names = "--max-states", paramLabel = "N", defaultValue = "" + DEFAULT_MAX_STATES,
            description = "expand at most N states; a search cut short says so (default: ${DEFAULT-VALUE})")
    long maxStates;

    @Option(names = "--no-reduction", description = "run every interleaving one by one: no sleep sets, no state "
            + "caching (exponential; for checking the reduced search)")
    boolean noReduction;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "write each counterexample to DIR as a "
            + "trace that replay reproduces")
    Path output;

    @Option(names = "--json", description = "one JSON object per counterexample and a summary, instead of text")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return explore(out);
        } catch (BadInput | TraceFile.Unreadable e) {
            err.println(e.getMessage());
            return Main.BAD_INPUT;
        } finally {
            out.flush();
        }
    }

    private int explore(PrintWriter out) {
        if (maxStates < 1) {
            throw new BadInput("--max-states takes a positive number, not " + maxStates);
        }
        ReplayCommand.checkPolicies(policies);
        TraceFile t = ReplayCommand.open(trace);
        if (output != null) {
            try {
                Files.createDirectories(output);
            } catch (IOException e) {
                throw new BadInput("-o " + output + ": cannot create the directory: " + e.getMessage());
            }
        }
        Policies pol = Replay.policiesFor(t, policies);
        ExploreOptions options = (noReduction ? ExploreOptions.everyInterleaving() : ExploreOptions.reducedAndCached())
                .withMaxStates(maxStates);
        long start = System.nanoTime();
        Exploration x = Exploration.explore(t.steps(), pol, options);
        double seconds = (System.nanoTime() - start) / 1e9;
        Set<String> expected = t.expectedViolations();
        Set<String> unexpected = new LinkedHashSet<>();
        List<Written> written = new ArrayList<>();
        for (Exploration.Found f : x.found()) {
            if (!expected.contains(f.violation().invariant())) {
                unexpected.add(f.violation().invariant());
            }
            written.add(new Written(f, output == null ? null : write(t, f, pol)));
        }
        int exit = unexpected.isEmpty() ? Main.OK : Main.FAILED;
        if (json) {
            printJson(out, t, x, written, expected, seconds, exit);
        } else {
            printText(out, t, x, written, expected, unexpected, seconds, exit);
        }
        return exit;
    }

    private record Written(Exploration.Found found, Path file) {
    }

    private Path write(TraceFile t, Exploration.Found f, Policies pol) {
        String name = (f.violation().invariant() + "-" + f.violation().entity()).replaceAll("[^A-Za-z0-9_.-]", "-")
                + ".trace";
        Path file = output.resolve(name);
        try {
            Files.write(file, CounterexampleTrace.lines(t, f, pol));
        } catch (IOException e) {
            throw new BadInput("-o " + output + ": cannot write " + name + ": " + e.getMessage());
        }
        return file;
    }

    private static String shape(ThreadSplit s) {
        if (s.threads().isEmpty()) {
            return "no steps after the set-up prefix: one order";
        }
        List<String> threads = new ArrayList<>();
        s.threads().forEach(th -> threads.add(th.name() + " (" + th.steps().size() + " steps)"));
        return (s.threads().size() == 1 ? "one thread, one order: " : s.threads().size() + " threads: ")
                + String.join(", ", threads);
    }

    private void printText(PrintWriter out, TraceFile t, Exploration x, List<Written> written, Set<String> expected,
            Set<String> unexpected, double seconds, int exit) {
        ExploreResult r = x.search();
        out.println("explore " + t.file() + "  policies " + new java.util.TreeMap<>(x.policies().values()));
        out.println("set-up prefix: " + x.split().prefix().size() + " steps; " + shape(x.split()) + "; "
                + count(r.interleavings()) + (r.interleavings().equals(java.math.BigInteger.ONE) ? " interleaving"
                        : " interleavings"));
        if (x.split().checksLeftOut() > 0 || x.split().expectsLeftOut() > 0) {
            out.println("not judged: " + x.split().checksLeftOut() + " CHECK steps and " + x.split().expectsLeftOut()
                    + " expects (they hold for the file's order; explore judges invariants only)");
        }
        for (Written w : written) {
            Exploration.Found f = w.found();
            Violation v = f.violation();
            String note = expected.contains(v.invariant()) ? " (expected by the trace)" : " (UNEXPECTED)";
            out.println();
            out.println(v.invariant() + " at " + v.entity() + (f.depth() == 0 ? " in the set-up prefix, every order"
                    : " after " + f.depth() + " steps: " + order(f)) + note);
            TextReport.violation(t.file(), v, "").stream().skip(1).forEach(out::println);
            if (w.file() != null) {
                out.println("    written to " + w.file());
            }
        }
        if (!written.isEmpty()) {
            out.println();
        }
        out.printf("%s: %d states expanded, %d transitions%s, %s, %.2f s%n", t.file(), r.statesExpanded(),
                r.transitionsExecuted(), r.distinctStates().isPresent() ? ", " + r.distinctStates().getAsLong()
                        + " distinct states (sleep sets, state caching)" : " (every interleaving, no reduction)",
                r.exhaustive() ? "exhaustive" : "NOT exhaustive: --max-states " + maxStates + " stopped the search",
                seconds);
        out.printf("%s: %d invariants broken in some order%s (%d unexpected) -> exit %d%n", t.file(),
                x.brokenInvariants().size(), r.exhaustive() ? "" : " of those explored", unexpected.size(), exit);
    }

    // an exact count while it reads as one; a count of hundreds of digits as its order of magnitude
    static String count(java.math.BigInteger n) {
        String digits = n.toString();
        if (digits.length() <= 15) {
            return digits;
        }
        return "about " + digits.charAt(0) + "." + digits.substring(1, 3) + "e" + (digits.length() - 1);
    }

    // "vcpu0:19 vmm:21 ...": the thread and line of each step after the prefix
    private static String order(Exploration.Found f) {
        List<String> out = new ArrayList<>();
        int prefix = f.steps().size() - f.depth();
        for (int i = 0; i < f.depth(); i++) {
            out.add(f.threads().get(i) + ":" + f.steps().get(prefix + i).line());
        }
        return String.join(" ", out);
    }

    private void printJson(PrintWriter out, TraceFile t, Exploration x, List<Written> written, Set<String> expected,
            double seconds, int exit) {
        for (Written w : written) {
            Exploration.Found f = w.found();
            ObjectNode n = OutputJson.line("counterexample").put("file", t.file());
            n.setAll((ObjectNode) OutputJson.MAPPER.valueToTree(f.violation()));
            n.put("expected", expected.contains(f.violation().invariant()));
            n.put("depth", f.depth());
            ArrayNode order = n.putArray("order");
            int prefix = f.steps().size() - f.depth();
            for (int i = prefix; i < f.steps().size(); i++) {
                Step s = f.steps().get(i);
                order.addObject().put("line", s.line()).put("thread", f.threads().get(i - prefix)).put("op", s.op());
            }
            n.set("broken_on_the_way", OutputJson.MAPPER.valueToTree(f.brokenOnTheWay().stream().sorted().toList()));
            n.put("written_to", w.file() == null ? null : w.file().toString());
            out.println(n);
        }
        ExploreResult r = x.search();
        ObjectNode sum = OutputJson.line("explore_summary").put("file", t.file());
        sum.set("policies", OutputJson.MAPPER.valueToTree(x.policies().values()));
        sum.put("prefix_steps", x.split().prefix().size());
        ObjectNode threads = sum.putObject("threads");
        x.split().threads().forEach(th -> threads.put(th.name(), th.steps().size()));
        sum.put("interleavings", r.interleavings());
        sum.put("states_expanded", r.statesExpanded()).put("transitions", r.transitionsExecuted());
        if (r.distinctStates().isPresent()) {
            sum.put("distinct_states", r.distinctStates().getAsLong());
        } else {
            sum.putNull("distinct_states");
        }
        sum.put("reduction", !noReduction).put("exhaustive", r.exhaustive()).put("seconds", seconds);
        sum.put("checks_not_judged", x.split().checksLeftOut()).put("expects_not_judged", x.split().expectsLeftOut());
        sum.set("broken", OutputJson.MAPPER.valueToTree(x.brokenInvariants()));
        sum.put("exit", exit);
        out.println(sum);
    }
}
