package kvmsim.bench;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import kvmsim.actors.cli.Main;
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
}
