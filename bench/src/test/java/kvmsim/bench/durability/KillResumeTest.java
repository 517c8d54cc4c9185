package kvmsim.bench.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.RunLog;
import kvmsim.actors.history.StoredRun;
import kvmsim.actors.testing.Cli;
import kvmsim.domain.history.StepRecord;
import kvmsim.journal.store.JournalLocation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay of the shared QEMU import, as a process of its own, killed with SIGKILL at 20 moments
 * spread over one uninterrupted run's wall time (start-up, mid-run, the end), then resumed with
 * {@code replay --resume}: each resumed run is the uninterrupted one, step by step and event by
 * event (every entity's events numbered from 1 without a gap), and {@code audit} agrees with its
 * online check. Nothing a replay confirmed is lost, and nothing is applied twice. The seed is
 * printed; {@code -Dkvmsim.kill.seed=N} repeats a sequence of moments. Runs with -Pheavy.
 */
@Tag("heavy")
class KillResumeTest {

    private static final String TRACE = "examples/strace/qemu-7.2-x86_64-1vcpu-migrate.trace";
    private static final String RUN = "qemu";
    private static final int KILLS = 20;
    private static final int STEPS = 2059;
    // a replay that stops printing while alive (a deadlock) is killed after this, not waited for forever
    private static final long LIMIT = TimeUnit.MINUTES.toNanos(5);

    /** What a journal holds of the run: its judged steps, its finish, each entity's events by sequence number. */
    private record Kept(List<StepRecord> steps, List<Object> finish, Map<String, List<String>> events) {
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void aReplayKilledAtTwentyMomentsAndResumedIsTheUninterruptedRun(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        long seed = Long.getLong("kvmsim.kill.seed", System.nanoTime());
        System.out.println("KillResumeTest: seed " + seed + " (-Dkvmsim.kill.seed=" + seed + " repeats it)");
        Random random = new Random(seed);

        Process base = replay(dir, "base");
        long t0 = System.nanoTime();
        long firstStep = linesUntil(base, Long.MAX_VALUE, t0 + LIMIT)[1] - t0;
        assertTrue(base.waitFor(300, TimeUnit.SECONDS), "the uninterrupted replay ends");
        assertEquals(0, base.exitValue(), Files.readString(dir.resolve("base.err")));
        Kept expected = kept(dir.resolve("base"));
        assertEquals(STEPS, expected.steps().size());
        assertTrue(expected.finish() != null);
        System.out.printf("KillResumeTest: the uninterrupted replay printed its first step after %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(firstStep));

        List<String> failures = new ArrayList<>();
        Map<String, Integer> phases = new TreeMap<>();
        for (int i = 0; i < KILLS; i++) {
            // 3 kills during start-up (before the first step, at a random time), 14 once a random number of
            // steps was printed (the process prints a step once judged, so the kill falls among steps in
            // flight, broadcasts and run-log writes), 3 once the last step was printed, while the last
            // batch of the run log and its finish are written (0-30 ms later)
            String name = "k" + i;
            Path journal = dir.resolve(name);
            Process p = replay(dir, name);
            long started = System.nanoTime();
            long printed;
            if (i < 3) {
                long at = (long) (firstStep * random.nextDouble());
                printed = linesUntil(p, Long.MAX_VALUE, started + at)[0];
            } else if (i < 17) {
                printed = linesUntil(p, 1 + random.nextInt(STEPS - 1), started + LIMIT)[0];
            } else {
                printed = linesUntil(p, STEPS, started + LIMIT)[0];
                Thread.sleep(random.nextInt(31));
            }
            p.destroyForcibly(); // SIGKILL
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            // looked at before anything opens it: H2 would take an empty file for a new database and write it
            Path file = JournalLocation.parse("h2:" + journal).h2File();
            if (Files.exists(file) && Files.size(file) == 0) {
                failures.add(name + ": the kill left an empty journal file (a new journal must appear whole)");
                continue;
            }
            Kept before;
            try {
                before = Files.exists(file) && JournalLocation.parse("h2:" + journal).hasSchema() ? kept(journal) : null;
            } catch (Exception e) {
                failures.add(name + ": what the kill left cannot be read: " + e);
                continue;
            }
            String phase = before == null ? "start-up: nothing kept"
                    : before.finish() != null ? "end: finished"
                    : printed == 0 ? "start-up: run started, no step judged"
                    : printed == STEPS ? "end: every step judged, no finish yet" : "mid-run";
            phases.merge(phase, 1, Integer::sum);
            System.out.printf("KillResumeTest: kill %d: %s (%d steps logged, %d step lines printed, %d events)%n",
                    i, phase, before == null ? 0 : before.steps().size(), printed,
                    before == null ? 0 : before.events().values().stream().mapToInt(List::size).sum());

            Cli.Result resumed = Cli.kvmsim("replay", "-q", "--resume", RUN, "--journal", "h2:" + journal, TRACE);
            if (before == null) {
                // killed before the run's start was confirmed: there is nothing to resume, and nothing was kept
                if (resumed.status() != 2 || !(resumed.err().contains("no such run") || resumed.err().contains("no journal"))) {
                    failures.add(name + ": resuming a run never started: exit " + resumed.status() + " " + resumed.err());
                    continue;
                }
                resumed = Cli.kvmsim("replay", "-q", "--run", RUN, "--journal", "h2:" + journal, TRACE);
            } else if (before.finish() != null) {
                if (resumed.status() != 2 || !resumed.err().contains("the run finished")) {
                    failures.add(name + ": resuming a finished run: exit " + resumed.status() + " " + resumed.err());
                }
                resumed = new Cli.Result(0, "", "");
            }
            if (resumed.status() != 0) {
                failures.add(name + " (" + phase + "): exit " + resumed.status() + ": " + resumed.err() + resumed.out());
                continue;
            }
            Kept got = kept(journal);
            if (!got.steps().equals(expected.steps())) {
                failures.add(name + " (" + phase + "): step results differ from the uninterrupted run's: "
                        + firstDifference(expected.steps(), got.steps()));
            }
            if (!java.util.Objects.equals(got.finish(), expected.finish())) {
                failures.add(name + " (" + phase + "): finish " + got.finish() + ", uninterrupted " + expected.finish());
            }
            if (!got.events().equals(expected.events())) {
                failures.add(name + " (" + phase + "): entity event streams differ: " + differences(expected, got));
            }
            Cli.Result audit = Cli.kvmsim("audit", "--json", "--run", RUN, "--journal", "h2:" + journal);
            long expectedEvents = expected.events().values().stream().mapToLong(List::size).sum();
            List<JsonNode> lines = Cli.jsonLines(audit.out());
            JsonNode summary = lines.isEmpty() ? null : lines.get(lines.size() - 1);
            if (audit.status() != 0 || summary == null || !summary.path("agrees").asBoolean()
                    || summary.path("events").asLong() != expectedEvents) {
                failures.add(name + " (" + phase + "): audit exit " + audit.status() + ": " + audit.out() + audit.err());
            }
        }
        System.out.println("KillResumeTest: kills by moment: " + phases + "; " + (KILLS - failures.size()) + "/" + KILLS
                + " resumed runs equal to the uninterrupted one (seed " + seed + ")");
        assertEquals(List.of(), failures, "seed " + seed);
    }

    private static Process replay(Path dir, String name) throws Exception {
        return new ProcessBuilder(Cli.javaCommand(List.of(), "replay", "--run", RUN, "--journal",
                "h2:" + dir.resolve(name), TRACE)).redirectError(dir.resolve(name + ".err").toFile()).start();
    }

    /**
     * Reads the replay's output until it printed {@code steps} step lines or {@code deadline}
     * (System.nanoTime) passed or it ended; returns the step lines read and when the first came.
     */
    private static long[] linesUntil(Process p, long steps, long deadline) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long n = 0;
        long first = 0;
        while (n < steps && System.nanoTime() < deadline) {
            if (!out.ready()) {
                if (!p.isAlive() && !out.ready()) {
                    break;
                }
                Thread.sleep(1);
                continue;
            }
            String line = out.readLine();
            if (line == null) {
                break;
            }
            if (line.startsWith(TRACE + ":") && line.length() > TRACE.length() + 1
                    && Character.isDigit(line.charAt(TRACE.length() + 1))) {
                n++;
                first = first == 0 ? System.nanoTime() : first;
            }
        }
        return new long[] {n, first};
    }

    private static String firstDifference(List<StepRecord> expected, List<StepRecord> got) {
        for (int i = 0; i < Math.min(expected.size(), got.size()); i++) {
            if (!expected.get(i).equals(got.get(i))) {
                return "step " + i + ": " + got.get(i) + ", uninterrupted " + expected.get(i);
            }
        }
        return got.size() + " steps, uninterrupted " + expected.size();
    }

    // the run as the journal holds it: null if it has no run log
    private static Kept kept(Path journal) {
        try (KvmsimSystem sys = KvmsimSystem.startReader(JournalLocation.parse("h2:" + journal))) {
            JournalReader reader = new JournalReader(sys.system());
            StoredRun run = reader.run(RUN);
            if (run == null) {
                return null;
            }
            RunLog.RunFinished f = run.finished();
            List<Object> finish = f == null ? null : List.of(f.steps(), f.mismatches(), f.violations(), f.unexpected(),
                    f.exitStatus(), f.events(), f.found());
            Map<String, List<String>> events = new TreeMap<>();
            for (JournalReader.Stored s : reader.runEvents(RUN, null)) {
                List<String> of = events.computeIfAbsent(s.persistenceId(), k -> new ArrayList<>());
                // numbered from 1 without a gap, else the list shows it
                of.add((s.sequenceNr() == of.size() + 1 ? "" : "GAP at " + s.sequenceNr() + ": ") + s.event());
            }
            return new Kept(run.steps(), finish, events);
        }
    }

    private static String differences(Kept expected, Kept got) {
        List<String> out = new ArrayList<>();
        expected.events().forEach((pid, ev) -> {
            List<String> g = got.events().getOrDefault(pid, List.of());
            if (!g.equals(ev)) {
                out.add(pid + " has " + g.size() + " events, uninterrupted " + ev.size());
            }
        });
        got.events().keySet().stream().filter(pid -> !expected.events().containsKey(pid)).forEach(pid -> out.add(pid
                + " only after the kill"));
        return String.join("; ", out);
    }
}
