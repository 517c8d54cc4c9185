package kvmsim.journal.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.trace.BadStep;
import kvmsim.domain.trace.NotModelled;
import kvmsim.domain.trace.Op;
import kvmsim.domain.trace.Ops;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.Trace;
import kvmsim.domain.trace.TraceRules;
import kvmsim.journal.io.LineReader;

/**
 * Reads a trace (trace-format.md) line by line: each line is read as JSON (JsonLine), its op
 * looked up in the registry (trace/Ops), its fields read as the op defines them (StepReader, or
 * CheckGrammar and PolicyLine for the two ops with a grammar of their own), and the step checked
 * against the lines before it (trace/TraceRules). The whole file is validated before any of it
 * runs, so reading stops at the first bad line and reports it as {@code FILE:LINE: reason}.
 */
public final class TraceParser {

    private TraceParser() {
    }

    /**
     * Validates the trace at {@code path} in one streaming pass and returns a source that re-reads
     * the file for each replay: memory does not grow with the trace. Its name in messages is the
     * path as given.
     */
    public static TraceFile open(Path path) throws TraceFormatException {
        return open(path, path.toString());
    }

    /**
     * Validates a trace that may come from a pipe: {@code -} is standard input, and a path that is
     * not a regular file (a FIFO, /dev/stdin, a shell's {@code <(...)}) can be read only once. Such
     * a trace is first copied to a temporary file, deleted when the JVM exits, so that it can be
     * validated whole before its first step and then re-read as it runs.
     */
    public static TraceFile openAny(String arg) throws TraceFormatException {
        boolean stdin = arg.equals("-");
        Path path = stdin ? null : Path.of(arg);
        if (!stdin && (Files.isRegularFile(path) || !Files.exists(path))) {
            return open(path);
        }
        String name = stdin ? "stdin" : arg;
        try {
            Path copy = Files.createTempFile("kvmsim-trace", ".trace");
            copy.toFile().deleteOnExit();
            try (java.io.InputStream in = stdin ? System.in : Files.newInputStream(path)) {
                Files.copy(in, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return open(copy, name);
        } catch (IOException e) {
            throw new TraceFormatException(name, 0, "cannot read: " + e.getMessage(), e);
        }
    }

    private static TraceFile open(Path path, String file) throws TraceFormatException {
        Builder b = new Builder(null, null);
        // the digest of the bytes checked, taken in the same pass (replay --resume compares it)
        java.security.MessageDigest sha = sha256();
        try (LineReader r = LineReader.of(new java.security.DigestInputStream(Files.newInputStream(path), sha))) {
            feed(file, r, b);
        } catch (NoSuchFileException e) {
            throw new TraceFormatException(file, 0, "cannot read: no such file", e);
        } catch (AccessDeniedException e) {
            throw new TraceFormatException(file, 0, "cannot read: permission denied", e);
        } catch (IOException e) {
            String why = Files.isDirectory(path) ? "is a directory" : String.valueOf(e.getMessage());
            throw new TraceFormatException(file, 0, "cannot read: " + why, e);
        }
        if (b.summary.steps == 0) {
            // an empty or comments-only trace would replay nothing and pass: a pipeline that lost
            // its input must not go green
            throw new TraceFormatException(file, 0, "no step: an empty trace checks nothing");
        }
        return new TraceFile(path, file, b.summary.policy, b.summary.expectedViolations, b.summary.notModelled,
                b.rules.hostArchs(), b.summary.emitted, "sha256:" + java.util.HexFormat.of().formatHex(sha.digest()));
    }

    private static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }

    /** Reads and validates the trace at {@code path} into memory. */
    public static Trace parse(Path path) throws TraceFormatException {
        TraceFile t = open(path);
        List<Step> steps = new ArrayList<>();
        t.steps().forEach(steps::add);
        return new Trace(t.file(), steps);
    }

    /** Reads and validates a trace from {@code reader}; {@code fileName} is for messages only. */
    public static Trace parse(String fileName, Reader reader) throws TraceFormatException {
        StringBuilder all = new StringBuilder();
        char[] buf = new char[8192];
        try {
            for (int n; (n = reader.read(buf)) >= 0; ) {
                all.append(buf, 0, n);
            }
        } catch (IOException e) {
            throw new TraceFormatException(fileName, 0, "cannot read: " + e.getMessage(), e);
        }
        byte[] bytes = all.toString().getBytes(StandardCharsets.UTF_8);
        Builder first = new Builder(null, null);
        feedBytes(fileName, bytes, first);
        List<Step> steps = new ArrayList<>();
        feedBytes(fileName, bytes, new Builder(first.rules.hostArchs(), steps::add));
        return new Trace(fileName, steps);
    }

    private static void feedBytes(String file, byte[] bytes, Builder b) throws TraceFormatException {
        try (LineReader r = LineReader.of(new java.io.ByteArrayInputStream(bytes))) {
            feed(file, r, b);
        } catch (IOException e) {
            throw new TraceFormatException(file, 0, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Runs every line of {@code r} through {@code b}; the first bad line stops it. */
    static void feed(String file, LineReader r, Builder b) throws IOException, TraceFormatException {
        for (String text; (text = nextLine(file, r)) != null; ) {
            line(file, r.lineNumber(), text, b);
        }
    }

    static String nextLine(String file, LineReader r) throws IOException, TraceFormatException {
        try {
            return r.next();
        } catch (CharacterCodingException e) {
            throw new TraceFormatException(file, r.lineNumber(), "not valid UTF-8", e);
        }
    }

    static void line(String file, int number, String text, Builder b) throws TraceFormatException {
        String s = text.strip();
        if (s.isEmpty() || s.startsWith("#")) {
            return;
        }
        try {
            b.line(number, s);
        } catch (BadStep e) {
            throw new TraceFormatException(file, number, e.getMessage());
        }
    }

    /** What a replay needs before its first step, gathered while validating. */
    static final class Summary {
        Map<String, String> policy = Map.of();
        long steps;
        long emitted;
        final Set<String> expectedViolations = new HashSet<>();
        final List<NotModelled> notModelled = new ArrayList<>();
    }

    /** The per-trace state: the trace's rules so far, and where the steps go. */
    static final class Builder {
        final Summary summary = new Summary();
        final TraceRules rules;
        private final Consumer<Step> sink;

        /** {@code archHints}: the arch of each host's first VM, from a first pass; null during that pass. */
        Builder(Map<String, Arch> archHints, Consumer<Step> sink) {
            this.rules = new TraceRules(archHints);
            this.sink = sink;
        }

        void line(int line, String text) {
            ObjectNode o = JsonLine.read(text);
            JsonNode opNode = o.get("op");
            if (opNode == null) {
                throw BadStep.of("missing field 'op'");
            }
            if (!opNode.isTextual()) {
                throw BadStep.of("'op' must be a string, not %s", opNode);
            }
            String name = opNode.textValue();
            rules.line(line);
            Step step;
            if (name.equals(Ops.POLICY.name())) {
                rules.policy(line);
                step = PolicyLine.read(o, line);
            } else if (name.equals(Ops.CHECK.name())) {
                step = CheckGrammar.read(o, line);
            } else {
                Op<?> op = Ops.byName(name);
                if (op == null) {
                    throw BadStep.of("unknown op '%s'", name);
                }
                step = op.parse(StepReader.read(o, op, line));
            }
            NotModelled n = rules.notModelled(step);
            for (Step s : rules.accept(step)) {
                emit(s);
            }
            if (n != null) {
                summary.notModelled.add(n);
            }
        }

        private void emit(Step step) {
            summary.emitted++;
            if (!(step instanceof Step.Policy)) {
                summary.steps++;
            }
            if (step instanceof Step.Policy p) {
                summary.policy = p.values();
            }
            summary.expectedViolations.addAll(Trace.expectedViolations(step));
            if (sink != null) {
                sink.accept(step);
            }
        }
    }
}
