package kvmsim.actors.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.trace.TraceParser;

/**
 * Valid multi-VM traces over every op the examples use, and every policy: a few example traces, each moved onto VMs and a
 * host of its own (every {@code vm} and {@code host} renamed, the implicit {@code host0} made explicit), their steps shuffled
 * together with each one's order kept, under policies drawn at random. The examples cover every op of the trace format
 * between them; moved apart they cannot interfere, so what each expects still holds under its own policies, and under
 * other policies its {@code expect}s and CHECKs are left out. {@code violations} CHECKs are left out (they are about one trace's run);
 * what the examples expected is returned instead.
 *
 * @see ComposedTracesPropertyTest
 */
public final class ComposedTraces {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A composed trace: its file, the policies to replay it under, and the invariants its parts say they break. */
    public record Composed(Path file, Policies policies, Set<String> expectedViolations, List<String> parts,
            boolean expectsKept) {
    }

    private ComposedTraces() {
    }

    /** Every example trace but the long QEMU recording. */
    public static List<Path> examples() throws IOException {
        try (Stream<Path> s = Files.walk(Path.of("examples"))) {
            return s.filter(p -> p.toString().endsWith(".trace") && !p.toString().contains("/strace/")).sorted()
                    .toList();
        }
    }

    public static Composed generate(long seed, Path dir) throws Exception {
        Random r = new Random(seed);
        List<Path> all = examples();
        int k = 2 + r.nextInt(3);
        List<Path> chosen = new ArrayList<>();
        while (chosen.size() < k) {
            Path p = all.get(r.nextInt(all.size()));
            if (!chosen.contains(p)) {
                chosen.add(p);
            }
        }
        // the policies: one part's own (its expects then hold), or drawn at random
        List<Trace> parsed = new ArrayList<>();
        for (Path p : chosen) {
            parsed.add(TraceParser.parse(p));
        }
        Policies policies;
        int own = r.nextInt(k + 1);
        if (own < k) {
            policies = Policies.defaults().with(parsed.get(own).policy());
        } else {
            Map<String, String> drawn = new HashMap<>();
            Policies.KNOWN.forEach((key, values) -> drawn.put(key, values.get(r.nextInt(values.size()))));
            policies = Policies.defaults().with(drawn);
        }
        List<List<String>> scripts = new ArrayList<>();
        Set<String> expected = new LinkedHashSet<>();
        boolean anyExpectKept = false;
        for (int i = 0; i < k; i++) {
            Trace t = parsed.get(i);
            boolean keepExpects = policies.equals(Policies.defaults().with(t.policy()));
            anyExpectKept |= keepExpects;
            expected.addAll(t.expectedViolations());
            scripts.add(moved(chosen.get(i), t, "_e" + i, keepExpects));
        }
        List<String> out = new ArrayList<>();
        out.add("# composed from " + chosen + ", seed " + seed);
        int[] next = new int[k];
        int left = scripts.stream().mapToInt(List::size).sum();
        while (left > 0) {
            int i = r.nextInt(k);
            if (next[i] < scripts.get(i).size()) {
                out.add(scripts.get(i).get(next[i]++));
                left--;
            }
        }
        Path file = dir.resolve("composed-" + seed + ".trace");
        Files.write(file, out);
        return new Composed(file, policies, expected, chosen.stream().map(Path::toString).toList(), anyExpectKept);
    }

    // the example's lines, each VM and host renamed with the suffix, the default host named
    private static List<String> moved(Path file, Trace t, String suffix, boolean keepExpects) throws IOException {
        Map<Integer, Step> byLine = new HashMap<>();
        for (Step s : t.steps()) {
            if (!(s instanceof Step.HostDecl h && h.implicit())) {
                byLine.put(s.line(), s);
            }
        }
        List<String> lines = Files.readAllLines(file);
        List<String> out = new ArrayList<>();
        for (int n = 1; n <= lines.size(); n++) {
            String text = lines.get(n - 1).strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            ObjectNode node = (ObjectNode) JSON.readTree(text);
            String op = node.path("op").asText();
            if (op.equals("POLICY") || (op.equals("CHECK") && (node.has("violations") || !keepExpects))) {
                continue; // a CHECK's values, like an expect, hold under the example's own policies
            }
            if (node.has("vm")) {
                node.put("vm", node.get("vm").asText() + suffix);
            }
            Step step = byLine.get(n);
            if (node.has("host")) {
                node.put("host", node.get("host").asText() + suffix);
            } else if (step instanceof Step.OnHost || step instanceof Step.CreateVm || step instanceof Step.HostDecl) {
                node.put("host", "host0" + suffix);
            }
            if (!keepExpects) {
                node.remove("expect");
            }
            out.add(node.toString());
        }
        return out;
    }
}
