package kvmsim.bench;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import kvmsim.actors.engine.ActorEngine;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.bench.traces.Arm64TraceGenerator;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Steps per second of a generated arm64 trace on the reference engine and on the actor engine with
 * an H2 journal on disk, in one process, several rounds each; prints each round and the medians.
 */
@Command(name = "bench", description = "Measure replay speed: reference engine vs actor engine on H2, same trace, same run.")
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--steps", defaultValue = "10000", description = "steps in the generated trace (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--rounds", defaultValue = "5", description = "rounds per engine (default ${DEFAULT-VALUE})")
    int rounds;

    @Mixin
    BenchJournalOption journal;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Trace trace = Arm64TraceGenerator.generate(steps, 42);
        Policies policies = Policies.defaults();
        JournalLocation location = journal.h2();
        List<Double> ref = new ArrayList<>();
        List<Double> act = new ArrayList<>();
        // warm-up: one reference round, not counted
        Replay.run("warmup", trace, policies, new ReferenceEngine(), false);
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                RunReport r = Replay.run("bench-ref-" + i, trace, policies, new ReferenceEngine(), false);
                double refRate = rate(r, t0);
                ref.add(refRate);
                String run = "bench-" + System.currentTimeMillis() + "-" + i;
                t0 = System.nanoTime();
                RunReport a = Replay.run(run, trace, policies, new ActorEngine(sys, run), false);
                double actRate = rate(a, t0);
                act.add(actRate);
                out.printf("round %d: reference %.0f steps/s (%d events), actors+H2 %.0f steps/s (%d events)%n", i + 1,
                        refRate, r.eventCount(), actRate, a.eventCount());
                out.flush();
            }
        }
        double mr = BenchSupport.median(ref);
        double ma = BenchSupport.median(act);
        out.printf("median of %d rounds, %d steps: reference %.0f steps/s, actors+H2 %.0f steps/s, ratio %.1fx%n",
                rounds, steps, mr, ma, mr / ma);
        out.flush();
        return 0;
    }

    private static double rate(RunReport r, long t0) {
        return r.stepCount() / ((System.nanoTime() - t0) / 1e9);
    }
}
