package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import kvmsim.actors.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shell examples of the README and of docs/commands.md still run as shown. In a fenced block,
 * a line {@code $ ./kvmsim ARGS} is a command; the lines after it, up to the next {@code $ } line or
 * the block's end, are its output (stdout, then stderr), matched line by line, where a line
 * {@code ...} stands for any number of lines. Run ids, timestamps and the journal's path are
 * normalised on both sides. A file's commands run in order, from the repository root, against one
 * fresh default journal, as a user's first session would.
 */
class DocExamplesTest {

    /** One shown command and the output shown under it. */
    record Example(int line, List<String> args, List<String> output) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"README.md", "docs/commands.md"})
    void theShownCommandsPrintWhatIsShown(String doc) throws Exception {
        List<Example> examples = examples(Files.readAllLines(Path.of(doc)));
        assertFalse(examples.isEmpty(), doc + " shows no `$ ./kvmsim` command");
        Path journal = Files.createTempDirectory("kvmsim-doc");
        String before = System.getProperty("kvmsim.journal");
        System.setProperty("kvmsim.journal", "h2:" + journal);
        ConfigFactory.invalidateCaches();
        try {
            List<String> failures = new ArrayList<>();
            for (Example e : examples) {
                Cli.Result r = Cli.kvmsim(e.args().toArray(String[]::new));
                List<String> actual = new ArrayList<>(r.out().lines().map(DocExamplesTest::normal).toList());
                r.err().lines().map(DocExamplesTest::normal).forEach(actual::add);
                List<String> shown = e.output().stream().map(DocExamplesTest::normal).toList();
                if (!matches(shown, 0, actual, 0)) {
                    failures.add(doc + ":" + e.line() + ": $ ./kvmsim " + String.join(" ", e.args()) + " (exit "
                            + r.status() + ")\n--- shown\n" + String.join("\n", shown) + "\n--- printed\n"
                            + String.join("\n", actual));
                }
            }
            if (!failures.isEmpty()) {
                fail(String.join("\n\n", failures));
            }
        } finally {
            if (before == null) {
                System.clearProperty("kvmsim.journal");
            } else {
                System.setProperty("kvmsim.journal", before);
            }
            ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void elisionsMatchAnyRunOfLinesAndNothingElseIsLoose() {
        List<String> printed = List.of("a", "b", "c", "d");
        assertTrue(matches(List.of("a", "...", "d"), 0, printed, 0));
        assertTrue(matches(List.of("...", "c", "d"), 0, printed, 0));
        assertTrue(matches(List.of("a", "b", "c", "d", "..."), 0, printed, 0));
        assertFalse(matches(List.of("a", "c", "d"), 0, printed, 0), "a missing line needs ...");
        assertFalse(matches(List.of("a", "...", "c"), 0, printed, 0), "the last line must be shown or elided");
        assertFalse(matches(List.of("a", "...", "x", "..."), 0, printed, 0));
        assertEquals("run <run>  h2:<journal>  <time>",
                normal("run r20261205-161500-4f2a  h2:/tmp/x/kvmsim-data  2026-12-05T16:06:46.108Z  "));
        assertEquals(List.of("replay", "-q", "a b", "--run", "x"), words(" replay -q 'a b' --run \"x\""));
    }

    static List<Example> examples(List<String> lines) {
        List<Example> out = new ArrayList<>();
        boolean fenced = false;
        Example current = null;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith("```")) {
                fenced = !fenced;
                current = null;
            } else if (fenced && l.startsWith("$ ./kvmsim")) {
                current = new Example(i + 1, words(l.substring("$ ./kvmsim".length())), new ArrayList<>());
                out.add(current);
            } else if (fenced && l.startsWith("$ ")) {
                current = null;
            } else if (current != null) {
                current.output().add(l);
            }
        }
        return out;
    }

    // a shell's words for the simple commands the docs show: spaces, and single or double quotes
    static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (char c : s.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                w = w == null ? new StringBuilder() : w;
            } else if (Character.isWhitespace(c)) {
                if (w != null) {
                    out.add(w.toString());
                    w = null;
                }
            } else {
                w = w == null ? new StringBuilder() : w;
                w.append(c);
            }
        }
        if (w != null) {
            out.add(w.toString());
        }
        return out;
    }

    static String normal(String line) {
        return line.replaceAll("\\br\\d{8}-\\d{6}-[0-9a-f]{4}\\b", "<run>")
                .replaceAll("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z", "<time>")
                .replaceAll("h2:[^\\s,)]+", "h2:<journal>")
                .stripTrailing();
    }

    // shown[i..] against printed[j..]: equal lines one for one, "..." for any run of lines
    static boolean matches(List<String> shown, int i, List<String> printed, int j) {
        if (i == shown.size()) {
            return j == printed.size();
        }
        if (shown.get(i).strip().equals("...")) {
            for (int k = j; k <= printed.size(); k++) {
                if (matches(shown, i + 1, printed, k)) {
                    return true;
                }
            }
            return false;
        }
        return j < printed.size() && shown.get(i).equals(printed.get(j)) && matches(shown, i + 1, printed, j + 1);
    }
}
