package kvmsim.bench;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kvmsim.actors.cli.Main;
import kvmsim.actors.testing.Cli;
import kvmsim.actors.testing.Cli.Result;
import org.junit.jupiter.api.Test;

/** The benchmark commands join kvmsim's CLI when this module is on the class path, with help and completion. */
class BenchCommandsTest {

    @Test
    void theBenchCommandsAreFoundAndHaveHelp() {
        List<String> names = List.copyOf(Main.commandLine().getSubcommands().keySet());
        for (String bench : List.of("bench", "bench-shootdown", "bench-audit", "bench-cluster", "bench-import")) {
            assertTrue(names.contains(bench), bench + " in " + names);
            Result r = kvmsim(bench, "--help");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().startsWith("Usage: kvmsim " + bench), r.out());
        }
        assertTrue(kvmsim("generate-completion").out().contains("bench-audit"), "completion covers them too");
    }

    /** A benchmark's journal goes to a temporary folder that is gone when kvmsim exits. */
    @Test
    void aBenchmarkLeavesNothingInTheTemporaryFolder() throws Exception {
        Path tmp = Files.createTempDirectory("kvmsim-bench-tmpdir");
        Process p = new ProcessBuilder(Cli.javaCommand(List.of("-Djava.io.tmpdir=" + tmp), "bench-shootdown",
                "--vcpus", "2", "--rounds", "1", "--warmup", "0")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("     2  "), "it measured: " + out);
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.map(Path::getFileName).map(Path::toString)
                    .filter(n -> n.startsWith("kvmsim-bench")).toList());
        }
    }
}
