package kvmsim.actors.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * A progress bar on stderr for work through many events. It draws nothing unless stderr is a
 * terminal, and nothing before the work has taken {@link #DELAY_NANOS}: a short command prints
 * nothing, a pipe or a CI log never sees a carriage return. It redraws at most five times a second
 * and erases itself when done.
 */
final class Progress implements LongConsumer, AutoCloseable {

    static final long DELAY_NANOS = 2_000_000_000L;
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final boolean terminal;
    private final String label;
    private final long total;
    private final LongSupplier clock;
    private final long start;
    private long lastDraw = Long.MIN_VALUE;
    private boolean drawn;

    Progress(PrintWriter err, boolean terminal, String label, long total, LongSupplier clock) {
        this.err = err;
        this.terminal = terminal;
        this.label = label;
        this.total = total;
        this.clock = clock;
        this.start = clock.getAsLong();
    }

    /** {@code total} is the number of events expected, or 0 when unknown (then only the count is shown). */
    static Progress onStderr(PrintWriter err, String label, long total) {
        return new Progress(err, stderrIsTerminal(), label, total, System::nanoTime);
    }

    static boolean stderrIsTerminal() {
        if ("never".equals(System.getenv("KVMSIM_PROGRESS")) || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return false; // not Linux, or no /proc: no bar rather than a wrong one
        }
    }

    @Override
    public void accept(long done) {
        if (!terminal) {
            return;
        }
        long now = clock.getAsLong();
        if (now - start < DELAY_NANOS || (drawn && now - lastDraw < REDRAW_NANOS)) {
            return;
        }
        lastDraw = now;
        drawn = true;
        err.print("\r" + line(done));
        err.flush();
    }

    String line(long done) {
        if (total <= 0) {
            return String.format("%s %,d events", label, done);
        }
        long d = Math.min(done, total);
        int filled = (int) (WIDTH * d / total);
        return String.format("%s [%s%s] %3d%% %,d/%,d events", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                100 * d / total, d, total);
    }

    @Override
    public void close() {
        if (drawn) {
            err.print("\r" + " ".repeat(line(total).length() + 10) + "\r");
            err.flush();
            drawn = false;
        }
    }
}
