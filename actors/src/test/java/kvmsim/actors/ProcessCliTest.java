package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kvmsim.actors.testing.Cli;
import kvmsim.actors.testing.LongTrace;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * kvmsim as a separate process, for what an in-JVM run cannot show: a signal stops a replay after
 * its current step and marks the run interrupted (exit 130), and the progress bar appears on a
 * terminal (a pty made by script(1)) and never on a pipe.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessCliTest {

    private Path dir;
    private Path trace;

    @BeforeAll
    void longTrace() throws Exception {
        dir = Files.createTempDirectory("kvmsim-proc");
        trace = LongTrace.write(dir.resolve("long.trace"), 80_000);
    }

    private static List<String> java(String... args) {
        return Cli.javaCommand(List.of(), args);
    }

    /** Starts a replay, waits until it is under way, sends {@code signal}, and returns the process, ended. */
    private Process interrupted(String signal, String run) throws Exception {
        Path out = dir.resolve(run + ".out");
        Process p = new ProcessBuilder(java("replay", "--run", run, "--journal", "h2:" + dir.resolve("j-" + run),
                trace.toString())).redirectOutput(out.toFile()).redirectError(dir.resolve(run + ".err").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Files.readAllLines(out, StandardCharsets.UTF_8).size() < 50 && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(p.isAlive(), "still replaying when the signal comes");
        new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "stopped promptly");
        return p;
    }

    @Test
    void sigintStopsAReplayAfterItsStepMarksTheRunInterruptedAndExits130() throws Exception {
        Process p = interrupted("INT", "int1");
        assertEquals(130, p.exitValue());
        String out = Files.readString(dir.resolve("int1.out"));
        assertTrue(out.contains(", interrupted -> exit 130"), out.substring(Math.max(0, out.length() - 300)));
        assertTrue(Files.readString(dir.resolve("int1.err")).contains("SIGINT: stopping after this step"));
        Cli.Result runs = Cli.kvmsim("runs", "--journal", "h2:" + dir.resolve("j-int1"));
        assertTrue(runs.out().contains("int1") && runs.out().contains("interrupted at step "), runs.out());
        assertFalse(runs.out().contains("steps=80004"), "not listed as finished");
    }

    @Test
    void sigtermDoesTheSame() throws Exception {
        Process p = interrupted("TERM", "term1");
        assertEquals(130, p.exitValue());
        assertTrue(Cli.kvmsim("runs", "--journal", "h2:" + dir.resolve("j-term1")).out().contains("interrupted at step "));
    }

    @Test
    void theProgressBarShowsOnATerminalAndNeverOnAPipe() throws Exception {
        File script = new File("/usr/bin/script");
        Assumptions.assumeTrue(script.canExecute(), "no script(1) to make a pty");
        // on the actors (in memory): long enough for the bar's 2 s delay; the reference engine now runs these
        // 80,000 steps in less, and a run shorter than the delay would show nothing anywhere
        String cmd = String.join(" ", java("replay", "-q", "--journal", "mem", trace.toString()).stream()
                .map(a -> "'" + a + "'").toList());
        Process tty = new ProcessBuilder("script", "-qec", cmd, "/dev/null").redirectErrorStream(true).start();
        String onTty = new String(tty.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tty.waitFor(120, TimeUnit.SECONDS));
        assertTrue(onTty.contains("replaying ") && onTty.contains("steps/s"), "a bar on the terminal: " + onTty);

        Process pipe = new ProcessBuilder(java("replay", "-q", "--journal", "mem", trace.toString())).start();
        String err = new String(pipe.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(pipe.waitFor(120, TimeUnit.SECONDS));
        assertFalse(err.contains("\r") || err.contains("steps/s"), "nothing on a pipe: " + err);
    }
}
