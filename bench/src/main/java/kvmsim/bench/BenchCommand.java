package kvmsim.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import kvmsim.actors.cli.BadInput;
import kvmsim.actors.cli.JournalOption;
import kvmsim.actors.engine.ActorEngine;
import kvmsim.actors.engine.ConcurrentReplay;
import kvmsim.actors.engine.JournaledReplay;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.bench.baseline.BareJournalRate;
import kvmsim.bench.traces.Arm64TraceGenerator;
import kvmsim.bench.traces.FleetTraceGenerator;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.output.OutputJson;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * How close the actor engine comes to the journal under it, in one process and one run: a trace
 * replayed on the reference engine (the model alone) and on the actors (a whole journaled replay,
 * as {@code kvmsim replay} runs it), against a bare Pekko EventSourcedBehavior on the same journal
 * asked one command at a time and with many in flight. Each figure is the median of the rounds;
 * every round runs each measurement once, in turn, so all see the same machine.
 */
@Command(name = "bench", description = "Replay speed against the journal's own: the reference engine, the actor "
        + "engine and a bare Pekko EventSourcedBehavior on the same journal, medians of several rounds.")
final class BenchCommand implements Callable<Integer> {

    enum TraceKind {
        one_vm("one-vm"), fleet("fleet"), both("both");

        final String label;

        TraceKind(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--trace", defaultValue = "both", converter = TraceKindConverter.class,
            description = "one-vm (a generated arm64 VM), fleet (100 VMs x 4 vCPUs x 4 memslots) or both "
                    + "(default ${DEFAULT-VALUE})")
    TraceKind trace;

    @Option(names = "--journal", paramLabel = "h2:DIR|postgres://...",
            description = "the journal (default: H2 in a temporary folder removed at exit); a PostgreSQL journal "
                    + "needs its tables (kvmsim journal init)")
    String journal;

    @Option(names = "--nodes", split = ",", paramLabel = "N", description = "also replay on in-process clusters of "
            + "N entity nodes and a driver (PostgreSQL only), e.g. 1,3")
    List<Integer> nodes = List.of();

    @Option(names = "--rounds", defaultValue = "5", description = "measured rounds (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--warmup", defaultValue = "2", description = "rounds run first and not counted, for the JIT "
            + "compiler: the actors run far more code than the bare behaviour, and are slow until it is compiled "
            + "(default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--window", defaultValue = "" + ConcurrentReplay.DEFAULT_WINDOW,
            description = "steps in flight on the actors, as replay --window (default ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--steps", defaultValue = "4000", description = "steps of the one-vm trace (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--vms", defaultValue = "100", description = "VMs of the fleet trace, 4 vCPUs and 4 memslots each, "
            + "10 to a host (default ${DEFAULT-VALUE})")
    int vms;

    @Option(names = "--json", description = "print each figure as a JSON line, ending with one summary line per "
            + "trace (and cluster size)")
    boolean json;

    // commands per bare measurement: a few seconds each on H2
    static final int BARE_SEQUENTIAL = 2000;
    static final int BARE_PIPELINED = 20000;
    static final int VMS_PER_HOST = 10;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (rounds < 1 || warmup < 0 || window < 1 || window > ConcurrentReplay.MAX_WINDOW || steps < 1 || vms < 1 || nodes.stream().anyMatch(n -> n < 1)) {
            throw new BadInput("bench: --rounds, --steps, --vms and --nodes take 1 or more, --warmup 0 or more, --window 1 "
                    + "to " + ConcurrentReplay.MAX_WINDOW);
        }
        JournalLocation location = location();
        if (!nodes.isEmpty() && !location.shareable()) {
            throw new BadInput("bench: --nodes needs a journal the nodes share: --journal postgres://USER@HOST/DB");
        }
        List<Trace> traces = new ArrayList<>();
        if (trace != TraceKind.fleet) {
            traces.add(Arm64TraceGenerator.generate(steps, 42));
        }
        if (trace != TraceKind.one_vm) {
            traces.add(FleetTraceGenerator.generate(vms, 4, 4, VMS_PER_HOST));
        }
        for (Trace t : traces) {
            String kind = traces.size() == 2 ? (t == traces.get(0) ? "one-vm" : "fleet") : trace.label;
            new Measured(out, kind, t, location).run();
        }
        return 0;
    }

    private JournalLocation location() throws Exception {
        if (journal == null) {
            return BenchSupport.h2Journal(null);
        }
        JournalLocation location;
        try {
            location = JournalLocation.parse(journal);
        } catch (IllegalArgumentException e) {
            throw new BadInput("bench: --journal " + journal + ": " + e.getMessage());
        }
        JournalOption.checkSchema(location);
        return location;
    }

    /** The rounds of one trace on one journal, and their medians. */
    private final class Measured {

        private final PrintWriter out;
        private final String kind;
        private final Trace trace;
        private final JournalLocation location;
        private final Policies policies = Policies.defaults();
        private final List<Double> reference = new ArrayList<>();
        private final List<Double> actorSteps = new ArrayList<>();
        private final List<Double> actorEvents = new ArrayList<>();
        private final List<Double> bareSequential = new ArrayList<>();
        private final List<Double> barePipelined = new ArrayList<>();
        private long events;
        private int referenceExit;

        Measured(PrintWriter out, String kind, Trace trace, JournalLocation location) {
            this.out = out;
            this.kind = kind;
            this.trace = trace;
            this.location = location;
        }

        void run() throws Exception {
            if (!json) {
                out.printf("%s: %s, %d steps; journal %s; window %d; %d rounds after %d not counted%n", kind,
                        trace.file(), trace.steps().size(), location, window, rounds, warmup);
                out.flush();
            }
            try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
                for (int round = 1 - warmup; round <= rounds; round++) {
                    boolean counted = round > 0;
                    double ref = referenceRound();
                    actorRound(sys, counted);
                    BareJournalRate bare = new BareJournalRate(sys.system(), "bare-" + System.nanoTime());
                    double seq = bare.sequential(BARE_SEQUENTIAL);
                    double pipe = bare.pipelined(BARE_PIPELINED);
                    if (counted) {
                        reference.add(ref);
                        bareSequential.add(seq);
                        barePipelined.add(pipe);
                        round(round, ref, seq, pipe);
                    }
                }
            }
            summary(0);
            for (int n : nodes) {
                actorSteps.clear();
                actorEvents.clear();
                try (InProcessCluster cluster = new InProcessCluster(location, n)) {
                    for (int round = 1 - warmup; round <= rounds; round++) {
                        boolean counted = round > 0;
                        actorRound(cluster.driver(), counted);
                        if (counted && !json) {
                            out.printf("  %d node%s, round %d: actors %.0f steps/s, %.0f events/s%n", n, n == 1 ? "" : "s",
                                    round, actorSteps.get(actorSteps.size() - 1), actorEvents.get(actorEvents.size() - 1));
                            out.flush();
                        }
                    }
                }
                summary(n);
            }
        }

        private double referenceRound() {
            long t0 = System.nanoTime();
            RunReport r = Replay.run("bench-reference", trace, policies, new ReferenceEngine(), false);
            double secs = seconds(t0);
            referenceExit = r.exitStatus();
            return r.stepCount() / secs;
        }

        private void actorRound(KvmsimSystem sys, boolean counted) {
            String run = "bench-" + kind + "-" + System.currentTimeMillis() + "-" + System.nanoTime() % 1000;
            long t0 = System.nanoTime();
            RunReport r = JournaledReplay.run(new ActorEngine(sys, run), sys, run, trace, policies, window, false,
                    ReplayListener.NONE);
            double secs = seconds(t0);
            if (r.exitStatus() != referenceExit) {
                throw new IllegalStateException("the " + kind + " trace ended with exit " + r.exitStatus()
                        + " on the actors and " + referenceExit + " on the reference engine");
            }
            events = r.eventCount();
            if (counted) {
                actorSteps.add(r.stepCount() / secs);
                actorEvents.add(r.eventCount() / secs);
            }
        }

        private void round(int round, double ref, double seq, double pipe) {
            double steps = actorSteps.get(actorSteps.size() - 1);
            double evs = actorEvents.get(actorEvents.size() - 1);
            if (json) {
                ObjectNode o = OutputJson.MAPPER.createObjectNode().put("type", "round").put("trace", kind)
                        .put("round", round).put("reference_steps_per_s", ref).put("actor_steps_per_s", steps)
                        .put("actor_events_per_s", evs).put("bare_sequential_events_per_s", seq)
                        .put("bare_pipelined_events_per_s", pipe);
                out.println(o);
            } else {
                out.printf("  round %d: reference %.0f steps/s; actors %.0f steps/s, %.0f events/s; bare %.0f events/s "
                        + "one at a time, %.0f with %d in flight%n", round, ref, steps, evs, seq, pipe,
                        BareJournalRate.IN_FLIGHT);
            }
            out.flush();
        }

        private void summary(int nodeCount) {
            double ref = BenchSupport.median(reference);
            double steps = BenchSupport.median(actorSteps);
            double evs = BenchSupport.median(actorEvents);
            double seq = BenchSupport.median(bareSequential);
            double pipe = BenchSupport.median(barePipelined);
            if (json) {
                ObjectNode o = OutputJson.MAPPER.createObjectNode().put("type", "summary").put("trace", kind)
                        .put("journal", location.toString()).put("nodes", nodeCount).put("window", window)
                        .put("rounds", rounds).put("warmup", warmup).put("steps", trace.steps().size()).put("events", events)
                        .put("reference_steps_per_s", ref).put("actor_steps_per_s", steps).put("actor_events_per_s", evs)
                        .put("bare_sequential_events_per_s", seq).put("bare_pipelined_events_per_s", pipe)
                        .put("actor_vs_bare_sequential", evs / seq).put("actor_vs_bare_pipelined", evs / pipe);
                out.println(o);
            } else {
                out.printf("  median%s: reference %.0f steps/s; actors %.0f steps/s, %.0f events/s = %.2fx bare one at a "
                        + "time (%.0f), %.2fx bare pipelined (%.0f)%n", nodeCount == 0 ? "" : " on " + nodeCount + " node"
                        + (nodeCount == 1 ? "" : "s"), ref, steps, evs, evs / seq, seq, evs / pipe, pipe);
            }
            out.flush();
        }

        private static double seconds(long t0) {
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    static final class TraceKindConverter implements picocli.CommandLine.ITypeConverter<TraceKind> {
        @Override
        public TraceKind convert(String value) {
            for (TraceKind k : TraceKind.values()) {
                if (k.label.equals(value)) {
                    return k;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("expected one-vm, fleet or both, not " + value);
        }
    }
}
