package kvmsim.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import kvmsim.actors.cli.BadInput;
import kvmsim.bench.baseline.BareStartup;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.trace.TraceSource;
import kvmsim.journal.output.OutputJson;
import kvmsim.journal.trace.TraceFormatException;
import kvmsim.journal.trace.TraceParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A small replay's wall time as whole processes, as a user starts them: the default engine on an
 * H2 journal against the reference engine in memory, and, as the floor under any engine built on
 * Pekko Persistence, {@link BareStartup}: the same actor system and journal persisting as many events
 * with a bare behaviour. The three alternate, round after round, with this JVM's options (its class
 * cache included; the bare program gets a cache of its own, trained first, so that it starts as
 * warm as kvmsim does).
 */
@Command(name = "bench-startup", description = "Time a small replay as whole processes: the actor engine on H2, the "
        + "reference engine in memory, and a bare Pekko program persisting as many events on H2.")
final class StartupBenchCommand implements Callable<Integer> {

    private static final long PROCESS_TIMEOUT_S = 300;

    @Spec
    CommandSpec spec;

    @Option(names = "--trace", defaultValue = "examples/x86/seed-004-if-modified-stale-tlb.trace",
            description = "the trace replayed (default ${DEFAULT-VALUE}, 20 steps)")
    Path trace;

    @Option(names = "--rounds", defaultValue = "9", description = "rounds measured, each runs the three once "
            + "(default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--warmup", defaultValue = "1", description = "rounds first, not counted: the page cache and the "
            + "journal's files (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--json", description = "end with one JSON summary line")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (rounds < 1 || warmup < 0) {
            throw new BadInput("bench-startup: --rounds must be at least 1, --warmup at least 0");
        }
        int events = eventsOf(trace);
        Path tmp = BenchSupport.temporaryFolder("kvmsim-bench-startup");
        List<String> jvm = jvmOptions();
        List<String> actors = kvmsim(jvm, "replay", "-q", "--journal", "h2:" + tmp.resolve("actors"), trace.toString());
        List<String> reference = kvmsim(jvm, "replay", "-q", "--engine", "reference", "--journal", "mem",
                trace.toString());
        List<String> bare = java(bareOptions(jvm, tmp, events, spec.commandLine().getErr()), BareStartup.class.getName(),
                tmp.resolve("bare").toString(), Integer.toString(events));
        List<Double> a = new ArrayList<>();
        List<Double> r = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        for (int i = 0; i < warmup + rounds; i++) {
            double ta = seconds(actors, 1);
            double tr = seconds(reference, 1);
            double tb = seconds(bare, 0);
            if (i >= warmup) {
                a.add(ta);
                r.add(tr);
                b.add(tb);
            }
        }
        double am = BenchSupport.median(a);
        double rm = BenchSupport.median(r);
        double bm = BenchSupport.median(b);
        out.printf("%s: whole processes, median of %d rounds (the three alternate; %d warm-up round%s not counted)%n",
                trace, rounds, warmup, warmup == 1 ? "" : "s");
        out.printf("  %-58s %6.2f s%n", "replay, actor engine, H2 journal", am);
        out.printf("  %-58s %6.2f s%n", "replay --engine reference --journal mem", rm);
        out.printf("  %-58s %6.2f s%n", "bare Pekko: same system and H2, " + events + " events, one at a time", bm);
        out.printf("  actors over reference %5.2fx   bare over reference %5.2fx   actors over bare %5.2fx%n", am / rm,
                bm / rm, am / bm);
        if (json) {
            ObjectNode n = OutputJson.MAPPER.createObjectNode().put("type", "summary").put("trace", trace.toString())
                    .put("rounds", rounds).put("events", events).put("actors_s", am).put("reference_s", rm)
                    .put("bare_s", bm).put("actors_over_reference", am / rm).put("bare_over_reference", bm / rm)
                    .put("actors_over_bare", am / bm);
            out.println(n);
        }
        out.flush();
        return 0;
    }

    // the events the trace's replay persists at its entities: what the bare program persists
    private static int eventsOf(Path trace) {
        if (!Files.isRegularFile(trace)) {
            throw new BadInput("--trace " + trace + ": no such file");
        }
        try {
            TraceSource t = TraceParser.openAny(trace.toString());
            RunReport report = Replay.run("startup", t, Replay.policiesFor(t, Map.of()), new ReferenceEngine(), false);
            return Math.toIntExact(report.eventCount());
        } catch (TraceFormatException e) {
            throw new BadInput(e.getMessage());
        }
    }

    // this JVM's options that a child should share: the class cache and the access flags
    private static List<String> jvmOptions() {
        List<String> keep = new ArrayList<>();
        for (String o : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (o.startsWith("-XX:AOTCache=") || o.startsWith("-XX:SharedArchiveFile=") || o.startsWith("-Xlog:")
                    || o.startsWith("--sun-misc-unsafe-memory-access") || o.startsWith("--enable-native-access")) {
                keep.add(o);
            }
        }
        return keep;
    }

    // the bare program's options: kvmsim's, with a class cache trained on the bare program itself
    // when kvmsim runs with one (a cache holds the classes its training run loaded); without one if
    // training fails (JDK 25 writes no cache from a class path with folders in it)
    private static List<String> bareOptions(List<String> jvm, Path tmp, int events, PrintWriter err) throws Exception {
        List<String> opts = new ArrayList<>();
        String train = null;
        Path cache = tmp.resolve("bare.jsa");
        for (String o : jvm) {
            if (o.startsWith("-XX:AOTCache=")) {
                train = "-XX:AOTCacheOutput=" + cache;
                opts.add("-XX:AOTCache=" + cache);
            } else if (o.startsWith("-XX:SharedArchiveFile=")) {
                train = "-XX:ArchiveClassesAtExit=" + cache;
                opts.add("-XX:SharedArchiveFile=" + cache);
            } else {
                opts.add(o);
            }
        }
        if (train != null) {
            List<String> without = opts.stream().filter(o -> !o.contains(cache.toString())).toList();
            List<String> training = new ArrayList<>(without);
            training.add(train);
            // a JVM that cannot write the cache says so and may exit non-zero: the timed runs check the program
            run(java(training, BareStartup.class.getName(), tmp.resolve("bare-training").toString(),
                    Integer.toString(events)), Integer.MAX_VALUE);
            if (!Files.exists(cache)) {
                err.println("bench-startup: the bare program's class cache was not written (" + train
                        + "): it runs without one, which makes its start slower than kvmsim's");
                err.flush();
                return without;
            }
        }
        return opts;
    }

    private static List<String> kvmsim(List<String> jvm, String... args) {
        return java(jvm, "kvmsim.actors.cli.Main", args);
    }

    private static List<String> java(List<String> jvm, String main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static double seconds(List<String> cmd, int worstExit) throws Exception {
        long t0 = System.nanoTime();
        run(cmd, worstExit);
        return (System.nanoTime() - t0) / 1e9;
    }

    // runs a child to its end, which must exit with at most {@code worstExit} (a replay's verdict, 1,
    // is not the bench's business; the bare program's is 0); a child left running is killed
    private static void run(List<String> cmd, int worstExit) throws IOException, InterruptedException {
        Path log = Files.createTempFile("kvmsim-bench-startup", ".out");
        Process p = null;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(PROCESS_TIMEOUT_S, TimeUnit.SECONDS)) {
                throw new IllegalStateException("did not end within " + PROCESS_TIMEOUT_S + " s: " + String.join(" ", cmd));
            }
            if (p.exitValue() > worstExit) {
                throw new IllegalStateException("exit " + p.exitValue() + ": " + String.join(" ", cmd) + "\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(log);
        }
    }
}
