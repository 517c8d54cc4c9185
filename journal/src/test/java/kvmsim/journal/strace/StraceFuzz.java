package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import kvmsim.domain.abi.Arch;
import kvmsim.journal.trace.TraceFormatException;
import kvmsim.journal.trace.TraceParser;

/**
 * The import's fuzzer: random garbage, random cuts of real lines, characters inserted into them,
 * and real lines in random order, from the QEMU recording. Every input must end in a trace kvmsim
 * reads back, or in a {@code FILE:LINE: reason} error; never in another exception or a hang.
 * StraceFuzzTest runs it briefly in the default suite, StraceFuzzLongTest at length under -Pheavy.
 */
final class StraceFuzz {

    /** How many inputs became traces and how many were refused with FILE:LINE. */
    record Counts(int traces, int errors) {
    }

    private StraceFuzz() {
    }

    static Counts run(long seed, int iterations) throws Exception {
        List<String> real = Files.readAllLines(Path.of("../examples/strace/qemu-7.2-x86_64-1vcpu-migrate.strace"));
        assertTrue(real.size() > 1000, "the recording is there");
        Random rnd = new Random(seed);
        String alphabet = "0123456789abcdefx(){}[]<>,=|-_ .:?\"\\/KVM_IOCTLRUNmap+EINTR";
        int traces = 0;
        int errors = 0;
        for (int i = 0; i < iterations; i++) {
            List<String> lines = new ArrayList<>();
            int n = 1 + rnd.nextInt(8);
            for (int j = 0; j < n; j++) {
                String l = real.get(rnd.nextInt(real.size()));
                switch (rnd.nextInt(12)) {
                    case 0 -> l = l.substring(0, rnd.nextInt(l.length() + 1));
                    case 1 -> {
                        StringBuilder b = new StringBuilder();
                        for (int k = rnd.nextInt(40); k > 0; k--) {
                            b.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
                        }
                        l = b.toString();
                    }
                    case 2 -> {
                        int at = rnd.nextInt(l.length() + 1);
                        l = l.substring(0, at) + alphabet.charAt(rnd.nextInt(alphabet.length())) + l.substring(at);
                    }
                    default -> {
                    }
                }
                lines.add(l);
            }
            try {
                String out = StraceImports.run(rnd.nextBoolean() ? Arch.X86_64 : Arch.ARM64, false,
                        lines.toArray(String[]::new)).trace();
                TraceParser.parse("fuzz", new StringReader(out));
                traces++;
            } catch (StraceFormatException e) {
                assertTrue(e.getMessage().matches("rec\\.strace:\\d+: .+"), e.getMessage());
                errors++;
            } catch (TraceFormatException e) {
                throw new AssertionError("the importer wrote a trace kvmsim cannot read: " + e.getMessage()
                        + "\ninput (seed " + seed + ", input " + i + "):\n" + String.join("\n", lines), e);
            }
        }
        return new Counts(traces, errors);
    }
}
