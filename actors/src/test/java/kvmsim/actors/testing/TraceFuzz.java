package kvmsim.actors.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The trace fuzzer: the examples' traces with lines dropped, doubled, swapped, cut, a character
 * inserted, a number replaced by an edge value (0, -1, 2^32, 2^64-1, ...), replayed on the reference
 * engine by the command line. Every input ends in exit 0 or 1 (it ran), or in exit 2 with one line
 * {@code FILE:LINE: reason} on stderr; never exit 3, a stack trace or a hang. TraceFuzzTest runs it
 * briefly in the default suite, TraceFuzzLongTest at length under -Pheavy.
 */
public final class TraceFuzz {

    /** How many inputs ran (exit 0 or 1) and how many were refused (exit 2). */
    public record Counts(int ran, int refused) {
    }

    private static final String[] EDGES = {"0", "-1", "4294967295", "4294967296", "18446744073709551615",
        "18446744073709551616", "\"0xffffffffffffffff\"", "9223372036854775807", "1e400", "0.5", "null", "\"\"",
        "[]", "{}"};
    private static final String ALPHABET = "{}[]\":,0123456789-xabcdefKVM_ ";

    private TraceFuzz() {
    }

    public static Counts run(long seed, int iterations) throws IOException {
        List<List<String>> examples = new ArrayList<>();
        try (Stream<Path> s = Files.walk(Path.of("examples"))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".trace")).sorted().toList()) {
                examples.add(Files.readAllLines(p));
            }
        }
        assertTrue(examples.size() > 10, "the examples are there");
        Random rnd = new Random(seed);
        Path dir = Files.createTempDirectory("kvmsim-fuzz");
        Path file = dir.resolve("fuzz.trace");
        int ran = 0;
        int refused = 0;
        for (int i = 0; i < iterations; i++) {
            List<String> lines = new ArrayList<>(examples.get(rnd.nextInt(examples.size())));
            for (int m = 1 + rnd.nextInt(3); m > 0 && !lines.isEmpty(); m--) {
                mutate(lines, rnd);
            }
            Files.write(file, lines);
            Cli.Result r = Cli.kvmsim("replay", "-q", "--engine", "reference", file.toString());
            String input = "seed " + seed + ", input " + i + ":\n" + String.join("\n", lines);
            assertFalse(r.err().contains("\tat "), "a stack trace: " + r.err() + "\n" + input);
            switch (r.status()) {
                case 0, 1 -> ran++;
                case 2 -> {
                    assertTrue(r.err().matches("(?s)" + java.util.regex.Pattern.quote(file.toString())
                            + ":\\d+: [^\\n]+\\n"), "one FILE:LINE line: " + r.err() + "\n" + input);
                    refused++;
                }
                default -> assertEquals(2, r.status(), "exit " + r.status() + ": " + r.err() + "\n" + input);
            }
        }
        return new Counts(ran, refused);
    }

    private static void mutate(List<String> lines, Random rnd) {
        int at = rnd.nextInt(lines.size());
        String l = lines.get(at);
        switch (rnd.nextInt(7)) {
            case 0 -> lines.remove(at);
            case 1 -> lines.add(at, l);
            case 2 -> {
                int other = rnd.nextInt(lines.size());
                lines.set(at, lines.get(other));
                lines.set(other, l);
            }
            case 3 -> lines.set(at, l.substring(0, rnd.nextInt(l.length() + 1)));
            case 4 -> {
                int c = rnd.nextInt(l.length() + 1);
                lines.set(at, l.substring(0, c) + ALPHABET.charAt(rnd.nextInt(ALPHABET.length())) + l.substring(c));
            }
            default -> {
                // a value replaced by an edge: the first number after a random ':' of the line
                int colon = l.indexOf(':', rnd.nextInt(l.length() + 1));
                if (colon >= 0) {
                    int end = colon + 1;
                    while (end < l.length() && ",}]".indexOf(l.charAt(end)) < 0) {
                        end++;
                    }
                    lines.set(at, l.substring(0, colon + 1) + EDGES[rnd.nextInt(EDGES.length)] + l.substring(end));
                }
            }
        }
    }
}
