package kvmsim.journal.trace;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.trace.NotModelled;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.TraceSource;
import kvmsim.journal.io.LineReader;

/**
 * A trace file that {@link TraceParser#open} validated: each pass over its steps re-reads and
 * re-parses the file line by line, so only one line and the parser's per-entity bookkeeping are
 * in memory at a time.
 */
public final class TraceFile implements TraceSource {

    private final Path path;
    private final long stepCount;
    private final String name;
    private final Map<String, String> policy;
    private final Set<String> expectedViolations;
    private final List<NotModelled> notModelled;
    private final Map<String, Arch> hostArchs;
    private final String digest;

    TraceFile(Path path, String name, Map<String, String> policy, Set<String> expectedViolations,
            List<NotModelled> notModelled, Map<String, Arch> hostArchs, long stepCount, String digest) {
        this.digest = digest;
        this.stepCount = stepCount;
        this.path = path;
        this.name = name;
        this.policy = Map.copyOf(policy);
        this.expectedViolations = Set.copyOf(expectedViolations);
        this.notModelled = List.copyOf(notModelled);
        this.hostArchs = Map.copyOf(hostArchs);
    }

    /** The trace's name in messages: the path as the user gave it ("stdin" for standard input). */
    @Override
    public String file() {
        return name;
    }

    @Override
    public Map<String, String> policy() {
        return policy;
    }

    @Override
    public Set<String> expectedViolations() {
        return expectedViolations;
    }

    @Override
    public long stepCount() {
        return stepCount;
    }

    @Override
    public List<NotModelled> notModelled() {
        return notModelled;
    }

    /** {@code sha256:} and the hex SHA-256 of the file's bytes as they were checked. */
    @Override
    public String digest() {
        return digest;
    }

    /**
     * The steps, read again from the file. The file was valid when opened; if it changed since,
     * its first bad line ends the iteration with an {@link Unreadable} naming it.
     */
    @Override
    public Iterable<Step> steps() {
        return () -> new Iterator<>() {
            private final ArrayDeque<Step> ready = new ArrayDeque<>();
            private final TraceParser.Builder builder = new TraceParser.Builder(hostArchs, ready::add);
            private LineReader reader = openReader();

            @Override
            public boolean hasNext() {
                try {
                    while (ready.isEmpty() && reader != null) {
                        String text = TraceParser.nextLine(file(), reader);
                        if (text == null) {
                            reader.close();
                            reader = null;
                        } else {
                            TraceParser.line(file(), reader.lineNumber(), text, builder);
                        }
                    }
                } catch (IOException e) {
                    throw new Unreadable(file() + ": cannot read: " + e.getMessage(), e);
                } catch (TraceFormatException e) {
                    throw new Unreadable(e.getMessage() + " (the trace changed after it was validated)", e);
                }
                return !ready.isEmpty();
            }

            @Override
            public Step next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }
        };
    }

    /**
     * The text of the lines numbered in {@code numbers}, as the file holds them now (for tools that write steps of this
     * trace elsewhere, such as explore's counterexamples).
     */
    public Map<Integer, String> lines(java.util.Collection<Integer> numbers) {
        java.util.Set<Integer> wanted = new java.util.HashSet<>(numbers);
        Map<Integer, String> out = new java.util.HashMap<>();
        try (LineReader reader = openReader()) {
            String text;
            while (out.size() < wanted.size() && (text = reader.next()) != null) {
                if (wanted.contains(reader.lineNumber())) {
                    out.put(reader.lineNumber(), text);
                }
            }
        } catch (IOException e) {
            throw new Unreadable(file() + ": cannot read: " + e.getMessage(), e);
        }
        return out;
    }

    /** The file could not be read again, or no longer holds what was validated. */
    public static final class Unreadable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unreadable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private LineReader openReader() {
        try {
            return LineReader.open(path);
        } catch (IOException e) {
            throw new Unreadable(file() + ": cannot read: " + e.getMessage(), e);
        }
    }
}
