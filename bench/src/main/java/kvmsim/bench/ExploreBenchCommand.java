package kvmsim.bench;

import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import kvmsim.actors.cli.BadInput;
import kvmsim.bench.traces.ThreadedTraceGenerator;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.explore.ExploreOptions;
import kvmsim.domain.explore.ExploreResult;
import kvmsim.domain.explore.InterleavingCount;
import kvmsim.domain.explore.trace.Exploration;
import kvmsim.domain.explore.trace.ThreadSplit;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;
import kvmsim.journal.trace.TraceFile;
import kvmsim.journal.trace.TraceFormatException;
import kvmsim.journal.trace.TraceParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What explore's reduction saves. Each workload (the seed races under the policy that breaks them, and a generated trace of
 * threads x steps) is explored to the end three ways: sleep sets with state caching (what {@code kvmsim explore} does), state
 * caching alone, and every interleaving one by one (only where there are few enough of them). Prints per way the states
 * expanded, the transitions run, the median time and states/s, and the time relative to the reduced search; the findings of
 * every way must be the same or the benchmark stops.
 */
@Command(name = "bench-explore", description = "Measure kvmsim explore with and without its reduction on the seed "
        + "races and a generated multi-thread trace.")
final class ExploreBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--examples", defaultValue = "examples/explore", paramLabel = "DIR",
            description = "the folder of the seed race traces (default ${DEFAULT-VALUE})")
    Path examples;

    @Option(names = "--threads", defaultValue = "3", description = "threads of the generated trace (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--steps", defaultValue = "6", description = "steps per thread of the generated trace "
            + "(default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--rounds", defaultValue = "3", description = "measured rounds after one warm-up (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--max-every", defaultValue = "100000", description = "run every interleaving only where there are "
            + "at most this many (default ${DEFAULT-VALUE})")
    long maxEvery;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (threads < 2 || steps < 1 || rounds < 1) {
            throw new BadInput("bench-explore: --threads 2 or more, --steps and --rounds 1 or more");
        }
        Map<String, Workload> workloads = new LinkedHashMap<>();
        workloads.put("seed 004, dirty-log-flush=if-modified", seed("seed-004-write-vs-enable-logging.trace",
                Map.of("dirty-log-flush", "if-modified")));
        workloads.put("seed 001, gpc-direct-map=unchecked", seed("seed-001-kvmclock-caches-vs-read-guest.trace",
                Map.of("gpc-direct-map", "unchecked")));
        workloads.put("seeds 000/003, sanitise-tags=on-lock", seed("seed-000-003-vcpu-vs-lock-mte-reset.trace",
                Map.of("sanitise-tags", "on-lock")));
        workloads.put("generated " + threads + " threads x " + steps + " steps",
                new Workload(ThreadedTraceGenerator.generate(threads, steps, 11),
                        Policies.defaults().with(Map.of("dirty-log-flush", "if-modified"))));
        for (Map.Entry<String, Workload> w : workloads.entrySet()) {
            Workload wl = w.getValue();
            ThreadSplit split = ThreadSplit.of(wl.steps());
            int[] lengths = split.threads().stream().mapToInt(t -> t.steps().size()).toArray();
            BigInteger orders = InterleavingCount.of(lengths);
            out.printf("%s: %d threads, %d steps after a prefix of %d, %s interleavings%n", w.getKey(),
                    lengths.length, split.threadSteps(), split.prefix().size(), orders);
            double reduced = 0;
            Exploration first = null;
            for (Way way : Way.values()) {
                if (way == Way.EVERY && orders.compareTo(BigInteger.valueOf(maxEvery)) > 0) {
                    out.printf("  %-26s skipped: more than --max-every %d interleavings%n", way.label, maxEvery);
                    continue;
                }
                List<Double> times = new ArrayList<>();
                Exploration x = null;
                for (int i = 0; i <= rounds; i++) {
                    long t0 = System.nanoTime();
                    x = Exploration.explore(wl.steps(), wl.policies(), way.options);
                    if (i > 0) {
                        times.add((System.nanoTime() - t0) / 1e9);
                    }
                }
                if (first == null) {
                    first = x;
                } else if (!first.search().findings().equals(x.search().findings())) {
                    throw new IllegalStateException(way.label + " found " + x.search().findings() + ", the reduced "
                            + "search " + first.search().findings());
                }
                ExploreResult r = x.search();
                double median = BenchSupport.median(times);
                if (way == Way.REDUCED) {
                    reduced = median;
                }
                out.printf("  %-26s %8d states %9d transitions %9.3f s %10.0f states/s %7.1fx the reduced time, "
                        + "findings %s%n", way.label, r.statesExpanded(), r.transitionsExecuted(), median,
                        r.statesExpanded() / median, median / reduced, r.findings());
                out.flush();
            }
        }
        return 0;
    }

    private record Workload(List<Step> steps, Policies policies) {
    }

    private enum Way {
        REDUCED("sleep sets + state caching", ExploreOptions.reducedAndCached()),
        CACHING("state caching only", ExploreOptions.reducedAndCached().withReduction(false)),
        EVERY("every interleaving", ExploreOptions.everyInterleaving());

        final String label;
        final ExploreOptions options;

        Way(String label, ExploreOptions options) {
            this.label = label;
            this.options = options;
        }
    }

    private Workload seed(String name, Map<String, String> policies) {
        Path p = examples.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new BadInput("bench-explore: " + p + " not found (run from the repository's root, or give --examples)");
        }
        try {
            TraceFile t = TraceParser.open(p);
            List<Step> all = new ArrayList<>();
            t.steps().forEach(all::add);
            return new Workload(all, Replay.policiesFor(t, policies));
        } catch (TraceFormatException e) {
            throw new BadInput(e.getMessage());
        }
    }
}
