package kvmsim.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import kvmsim.journal.store.JournalLocation;

/** What the benchmark commands share: an H2 journal on disk, and the statistics they quote. */
final class BenchSupport {

    private BenchSupport() {
    }

    /** An H2 journal in {@code dir}, or in a fresh temporary folder removed when the JVM exits; schema created. */
    static JournalLocation h2Journal(Path dir) throws Exception {
        Path folder = dir != null ? dir : temporaryFolder("kvmsim-bench");
        JournalLocation location = JournalLocation.parse("h2:" + folder);
        location.ensureSchema();
        return location;
    }

    /**
     * A fresh folder under java.io.tmpdir that is deleted, with all it holds, when the JVM exits
     * (normally or on SIGINT/SIGTERM): a benchmark's journal is tens of MB nobody asked to keep.
     * The commands take a folder option for the runs worth keeping.
     */
    static Path temporaryFolder(String prefix) throws IOException {
        Path folder = Files.createTempDirectory(prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(folder), "kvmsim-bench-cleanup"));
        return folder;
    }

    private static void deleteTree(Path folder) {
        try (Stream<Path> all = Files.walk(folder)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // exiting: what cannot be listed stays, as any temporary file would
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = sorted(xs);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** The nearest-rank percentile. */
    static double percentile(List<Double> xs, int p) {
        List<Double> s = sorted(xs);
        int idx = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(idx, s.size() - 1)));
    }

    private static List<Double> sorted(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s;
    }
}
