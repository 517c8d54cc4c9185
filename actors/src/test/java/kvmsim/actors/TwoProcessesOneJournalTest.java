package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kvmsim.actors.testing.Cli;
import kvmsim.actors.testing.LongTrace;
import org.junit.jupiter.api.Test;

/**
 * Two processes on one embedded H2 journal: while a replay in another process writes it, a reader
 * and a second replay are each refused whole, with one line that says why (exit 2), and write
 * nothing; the first replay's run reads back intact afterwards.
 */
class TwoProcessesOneJournalTest {

    static final String SMALL = "examples/x86/seed-004-if-modified-stale-tlb.trace";

    @Test
    void aSecondProcessIsRefusedAndTheFirstRunStaysIntact() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-two");
        Path trace = LongTrace.write(dir.resolve("long.trace"), 80_000);
        String journal = "h2:" + dir.resolve("j");
        Path out = dir.resolve("first.out");
        Process first = new ProcessBuilder(Cli.javaCommand(List.of(), "replay", "--run", "first", "--journal", journal,
                trace.toString())).redirectOutput(out.toFile()).redirectError(dir.resolve("first.err").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (Files.readAllLines(out, StandardCharsets.UTF_8).size() < 50 && first.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(first.isAlive(), "the first replay is still writing");
            assertTrue(Files.readAllLines(out, StandardCharsets.UTF_8).size() >= 50, "the first replay got going within 60 s");
            String refused = "--journal " + journal + ": in use by another kvmsim process (an embedded H2 journal serves "
                    + "one process at a time: wait until it ends, or share a PostgreSQL journal)\n";
            Cli.Result runs = Cli.kvmsim("runs", "--journal", journal);
            assertEquals(2, runs.status(), runs.out());
            assertEquals(refused, runs.err());
            Cli.Result second = Cli.kvmsim("replay", "-q", "--run", "second", "--journal", journal, SMALL);
            assertEquals(2, second.status(), second.out());
            assertEquals(refused, second.err());
            assertTrue(first.isAlive(), "the first replay was not disturbed");
        } finally {
            new ProcessBuilder("kill", "-INT", Long.toString(first.pid())).start().waitFor();
            if (!first.waitFor(60, TimeUnit.SECONDS)) {
                first.destroyForcibly(); // not left running with the journal open
                first.waitFor(60, TimeUnit.SECONDS);
                throw new AssertionError("the first replay did not stop on SIGINT within 60 s");
            }
        }
        assertEquals(130, first.exitValue(), Files.readString(dir.resolve("first.err")));
        Cli.Result runs = Cli.kvmsim("runs", "--journal", journal);
        assertEquals(0, runs.status(), runs.err());
        assertTrue(runs.out().startsWith("first  ") && runs.out().contains("interrupted at step ")
                && runs.out().endsWith("1 runs in " + journal + "\n"), runs.out());
        Cli.Result audit = Cli.kvmsim("audit", "--journal", journal, "--run", "first");
        assertEquals(0, audit.status(), audit.out());
        assertTrue(audit.out().contains("journal of run first: intact ("), audit.out());
    }
}
