package kvmsim.bench;

import com.typesafe.config.ConfigFactory;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import kvmsim.actors.engine.ActorEngine;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.bench.traces.SyntheticRecording;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.engine.Engine;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.journal.io.LineReader;
import kvmsim.journal.store.JournalLocation;
import kvmsim.journal.strace.StraceImporter;
import kvmsim.journal.trace.TraceFile;
import kvmsim.journal.trace.TraceParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench-import",
        description = "Import a long synthetic strace recording and replay it: lines/s, steps/s, heap.")
final class ImportBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--lines", defaultValue = "100000", description = "lines of the recording (default 100000)")
    int lines;

    @Option(names = "--rounds", defaultValue = "3", description = "rounds of reading, importing and reference replay")
    int rounds;

    @Option(names = "--actor-rounds", defaultValue = "1", description = "rounds of the actor engine on H2 (slow)")
    int actorRounds;

    @Option(names = "--dir", description = "folder for the recording, the trace and the H2 journal, kept (default: a temporary one, "
            + "removed at exit)")
    Path dir;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        Path folder = dir != null ? Files.createDirectories(dir) : BenchSupport.temporaryFolder("kvmsim-bench-import");
        Path rec = folder.resolve("synthetic.strace");
        try (Writer w = Files.newBufferedWriter(rec, StandardCharsets.UTF_8)) {
            SyntheticRecording.write(w, lines, 42);
        }
        Path trace = folder.resolve("synthetic.trace");
        List<Double> read = new ArrayList<>();
        List<Double> imported = new ArrayList<>();
        List<Double> ref = new ArrayList<>();
        StraceImporter.Summary summary = null;
        for (int i = 0; i < rounds + 1; i++) { // round 0 warms up
            long t0 = System.nanoTime();
            int n = 0;
            try (LineReader in = LineReader.open(rec)) {
                while (in.next() != null) {
                    n++;
                }
            }
            double readRate = n / seconds(t0);
            t0 = System.nanoTime();
            try (LineReader in = LineReader.open(rec); Writer w = Files.newBufferedWriter(trace, StandardCharsets.UTF_8)) {
                summary = StraceImporter.importLines(rec.toString(), in, Arch.X86_64, w);
            }
            double importRate = summary.lines() / seconds(t0);
            TraceFile t = TraceParser.open(trace);
            t0 = System.nanoTime();
            RunReport r = replay(t, "ref-" + i, new ReferenceEngine(), ReplayListener.NONE);
            double refRate = r.stepCount() / seconds(t0);
            if (i > 0) {
                read.add(readRate);
                imported.add(importRate);
                ref.add(refRate);
                out.printf("round %d: read %.0f lines/s, import %.0f lines/s, reference replay %.0f steps/s%n", i,
                        readRate, importRate, refRate);
                out.flush();
            }
        }
        out.printf("recording: %d lines -> %d steps (%d modelled, %d IOCTL passed through)%n", summary.lines(),
                summary.steps(), summary.modelled(), summary.passedThrough());
        TraceFile t = TraceParser.open(trace);
        long[] heap = heapProbe(t, summary.steps());
        out.printf("reference replay heap after GC: %.1f MiB at 10%% of the steps, %.1f MiB at 90%%%n",
                heap[0] / 1048576.0, heap[1] / 1048576.0);
        JournalLocation location = BenchSupport.h2Journal(folder.resolve("journal"));
        List<Double> act = new ArrayList<>();
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            for (int i = 0; i < actorRounds; i++) {
                String run = "bench-import-" + System.currentTimeMillis() + "-" + i;
                long t0 = System.nanoTime();
                RunReport r = replay(t, run, new ActorEngine(sys, run), ReplayListener.NONE);
                act.add(r.stepCount() / seconds(t0));
                out.printf("actors+H2 round %d: %.0f steps/s (%d events persisted)%n", i + 1, act.get(i), r.eventCount());
                out.flush();
            }
        }
        double mRead = BenchSupport.median(read);
        double mImport = BenchSupport.median(imported);
        double mRef = BenchSupport.median(ref);
        double mAct = BenchSupport.median(act);
        out.printf("medians: read %.0f lines/s; import %.0f lines/s (%.1fx slower than reading); replay reference "
                + "%.0f steps/s, actors+H2 %.0f steps/s (%.1fx slower)%n", mRead, mImport, mRead / mImport, mRef, mAct,
                mRef / mAct);
        out.flush();
        return 0;
    }

    private static RunReport replay(TraceFile t, String run, Engine engine, ReplayListener l) {
        RunReport r = Replay.run(run, t, Replay.policiesFor(t, Map.of()), engine, false, l);
        if (r.exitStatus() != 0) {
            throw new IllegalStateException("the synthetic recording must replay with exit 0, got " + r.mismatchCount()
                    + " mismatches");
        }
        return r;
    }

    /** Heap used after a full GC at 10% and at 90% of a reference replay: equal when replay streams. */
    private static long[] heapProbe(TraceFile t, long steps) {
        long[] heap = new long[2];
        long[] seen = {0};
        replay(t, "heap", new ReferenceEngine(), new ReplayListener() {
            @Override
            public void step(StepResult r) {
                seen[0]++;
                if (seen[0] == steps / 10 || seen[0] == steps * 9 / 10) {
                    System.gc();
                    heap[seen[0] == steps / 10 ? 0 : 1] = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                }
            }
        });
        return heap;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
