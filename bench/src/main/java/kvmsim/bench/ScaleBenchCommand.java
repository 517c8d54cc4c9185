package kvmsim.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import kvmsim.actors.cli.BadInput;
import kvmsim.bench.traces.DistinctPagesTraceGenerator;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.TraceSource;
import kvmsim.journal.output.OutputJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Whether the model's cost per step stays flat as the guest grows: a guest writing once to each of
 * N distinct pages, replayed on the reference engine for each N in one run, rounds interleaved so
 * every size sees the same machine. Prints the median steps/s per size, its ratio to the smallest
 * size, and the heap the engine's states hold per page touched (measured after a full GC, with the
 * engine still alive, against the heap before the replay).
 */
@Command(name = "bench-scale", description = "Steps/s and heap per page of guest writes to N distinct pages on the "
        + "reference engine, for several N in one run.")
final class ScaleBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--pages", split = ",", defaultValue = "1000,10000,100000,1000000", paramLabel = "N",
            description = "distinct pages written, one size per entry; the first is the baseline of the ratios "
                    + "(default ${DEFAULT-VALUE})")
    List<Integer> pages;

    @Option(names = "--arch", defaultValue = "x86_64", description = "x86_64 (a host page, an SPTE and a TLB entry "
            + "per write) or arm64 (a stage-2 leaf per write) (default ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--rounds", defaultValue = "3", description = "measured rounds (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--warmup", defaultValue = "1", description = "rounds not counted, for the JIT compiler "
            + "(default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--json", description = "print each figure as a JSON line, then one summary line per size")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Arch a = Arch.byTraceName(arch);
        if (a == null || rounds < 1 || warmup < 0 || pages.isEmpty() || pages.stream().anyMatch(n -> n < 1)) {
            throw new BadInput("bench-scale: --arch takes x86_64 or arm64, --rounds and --pages 1 or more, --warmup 0 "
                    + "or more");
        }
        List<List<Double>> rates = new ArrayList<>();
        List<List<Double>> heaps = new ArrayList<>();
        pages.forEach(n -> {
            rates.add(new ArrayList<>());
            heaps.add(new ArrayList<>());
        });
        long[] events = new long[pages.size()];
        if (!json) {
            out.printf("guest writes to distinct pages, %s, reference engine; %d rounds after %d not counted; max heap "
                    + "%d MB%n", a.traceName, rounds, warmup, Runtime.getRuntime().maxMemory() >> 20);
            out.flush();
        }
        for (int round = 1 - warmup; round <= rounds; round++) {
            for (int i = 0; i < pages.size(); i++) {
                Measurement m = measure(DistinctPagesTraceGenerator.generate(a, pages.get(i)), pages.get(i));
                events[i] = m.events;
                if (round > 0) {
                    rates.get(i).add(m.stepsPerSecond);
                    heaps.get(i).add(m.heapPerPage);
                    if (json) {
                        ObjectNode o = OutputJson.MAPPER.createObjectNode().put("type", "round").put("arch", a.traceName)
                                .put("round", round).put("pages", pages.get(i)).put("steps_per_s", m.stepsPerSecond)
                                .put("heap_bytes_per_page", m.heapPerPage);
                        out.println(o);
                    } else {
                        out.printf("  round %d, %,d pages: %.0f steps/s, %.0f heap bytes per page%n", round, pages.get(i),
                                m.stepsPerSecond, m.heapPerPage);
                    }
                    out.flush();
                }
            }
        }
        double base = BenchSupport.median(rates.get(0));
        if (!json) {
            out.printf("%12s %12s %12s %12s %14s%n", "pages", "events", "steps/s", "vs first", "heap B/page");
        }
        for (int i = 0; i < pages.size(); i++) {
            double rate = BenchSupport.median(rates.get(i));
            double heap = BenchSupport.median(heaps.get(i));
            if (json) {
                out.println(OutputJson.MAPPER.createObjectNode().put("type", "summary").put("arch", a.traceName)
                        .put("pages", pages.get(i)).put("events", events[i]).put("rounds", rounds).put("warmup", warmup)
                        .put("steps_per_s", rate).put("ratio_to_first", rate / base).put("heap_bytes_per_page", heap));
            } else {
                out.printf("%,12d %,12d %12.0f %11.2fx %14.0f%n", pages.get(i), events[i], rate, rate / base, heap);
            }
        }
        out.flush();
        return 0;
    }

    private record Measurement(double stepsPerSecond, double heapPerPage, long events) {
    }

    private static Measurement measure(TraceSource trace, int pages) {
        long before = usedAfterGc();
        ReferenceEngine engine = new ReferenceEngine();
        long t0 = System.nanoTime();
        RunReport r = Replay.run("bench-scale", trace, Policies.defaults(), engine, false);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (r.exitStatus() != 0 || r.stepCount() != trace.stepCount()) {
            throw new IllegalStateException(trace.file() + " ended with exit " + r.exitStatus() + " after "
                    + r.stepCount() + " of " + trace.stepCount() + " steps");
        }
        long after = usedAfterGc();
        java.lang.ref.Reference.reachabilityFence(engine); // its states are what the heap figure measures
        return new Measurement(r.stepCount() / secs, (double) (after - before) / pages, r.eventCount());
    }

    private static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
