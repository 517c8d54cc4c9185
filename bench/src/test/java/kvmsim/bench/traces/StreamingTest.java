package kvmsim.bench.traces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.journal.io.LineReader;
import kvmsim.journal.strace.StraceImporter;
import kvmsim.journal.trace.TraceFile;
import kvmsim.journal.trace.TraceParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long recording imports and replays with memory that does not grow with it: the heap after a
 * full GC is the same, within noise, early in the replay and near its end. Holding the steps or
 * their results would add tens of megabytes between the two points.
 */
class StreamingTest {

    private static long usedAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void aLongRecordingImportsAndReplaysInConstantMemory(@TempDir Path dir) throws Exception {
        Path rec = dir.resolve("long.strace");
        try (Writer w = Files.newBufferedWriter(rec, StandardCharsets.UTF_8)) {
            SyntheticRecording.write(w, 200_000, 1);
        }
        Path trace = dir.resolve("long.trace");
        StraceImporter.Summary s;
        try (LineReader in = LineReader.open(rec); Writer out = Files.newBufferedWriter(trace, StandardCharsets.UTF_8)) {
            s = StraceImporter.importLines(rec.toString(), in, Arch.X86_64, out);
        }
        assertTrue(s.lines() >= 200_000 && s.passedThrough() > 20_000 && s.modelled() > 100_000, s.toString());

        TraceFile t = TraceParser.open(trace);
        long[] heap = new long[2];
        long[] seen = {0};
        ReplayListener probe = new ReplayListener() {
            @Override
            public void step(StepResult r) {
                seen[0]++;
                if (seen[0] == 20_000) {
                    heap[0] = usedAfterGc();
                } else if (seen[0] == s.steps() - 1000) {
                    heap[1] = usedAfterGc();
                }
            }
        };
        RunReport r = Replay.run("long", t, Replay.policiesFor(t, Map.of()), new ReferenceEngine(), false, probe);
        assertEquals(0, r.exitStatus(), "the synthetic recording agrees with the model");
        assertEquals(s.steps(), r.stepCount());
        long grown = heap[1] - heap[0];
        // measured: a few KiB; keeping only the step results of this replay adds about 18 MiB
        assertTrue(grown < 4L << 20, "heap grew by " + (grown >> 20) + " MiB over " + (s.steps() - 21_000) + " steps");
    }
}
