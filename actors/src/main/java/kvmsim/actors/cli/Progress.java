package kvmsim.actors.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;

/**
 * Progress of a long command on stderr (done/total, rate, time left), drawn by the progressbar
 * library. It draws nothing unless stderr is a terminal (asked of JLine, which the bar is built on),
 * and nothing before the work has taken {@link #DELAY}: a short command prints nothing, and a pipe
 * or a CI log never sees a carriage return. The bar erases itself when done.
 */
final class Progress implements LongConsumer, AutoCloseable {

    static final Duration DELAY = Duration.ofSeconds(2);

    private final PrintWriter err;
    private final boolean terminal;
    private final String label;
    private final String unit;
    private final long total;
    private final LongSupplier clock;
    private final long start;
    private ProgressBar bar;
    private int drawnWidth;

    Progress(PrintWriter err, boolean terminal, String label, String unit, long total, LongSupplier clock) {
        this.err = err;
        this.terminal = terminal;
        this.label = label;
        this.unit = unit;
        this.total = total;
        this.clock = clock;
        this.start = clock.getAsLong();
    }

    /** {@code total}: how many {@code unit}s are expected, or 0 when unknown (then only the count and rate show). */
    static Progress onStderr(PrintWriter err, String label, String unit, long total) {
        return new Progress(err, stderrIsTerminal(), label, unit, total, System::nanoTime);
    }

    /** A progress that never draws. */
    static Progress none() {
        return new Progress(null, false, "", "", 0, () -> 0);
    }

    /**
     * Whether fd 2 is a terminal, as JLine's native provider (or, without it, its exec provider)
     * finds it. {@code KVMSIM_PROGRESS=never} and {@code TERM=dumb} turn the bar off.
     */
    static boolean stderrIsTerminal() {
        if ("never".equals(System.getenv("KVMSIM_PROGRESS")) || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        return isTerminal(SystemStream.Error);
    }

    /** Whether fd 1 is a terminal. */
    static boolean stdoutIsTerminal() {
        return isTerminal(SystemStream.Output);
    }

    private static boolean isTerminal(SystemStream stream) {
        for (String provider : new String[] {"jni", "exec"}) {
            try {
                return TerminalProvider.load(provider).isSystemStream(stream);
            } catch (Throwable e) {
                // this provider is not available here (no native library, no /bin/test): try the next
            }
        }
        return false;
    }

    @Override
    public void accept(long done) {
        if (!terminal) {
            return;
        }
        if (bar == null) {
            if (clock.getAsLong() - start < DELAY.toNanos()) {
                return;
            }
            bar = new ProgressBarBuilder().setTaskName(label).setInitialMax(total > 0 ? total : -1).setUnit(" " + unit, 1)
                    .showSpeed().setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200)
                    .setConsumer(new DelegatingProgressBarConsumer(this::draw, 100)).continuousUpdate().build();
        }
        bar.stepTo(done);
    }

    private synchronized void draw(String line) {
        err.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
        err.flush();
        drawnWidth = Math.max(drawnWidth, line.length());
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            synchronized (this) {
                err.print("\r" + " ".repeat(drawnWidth) + "\r");
                err.flush();
            }
            bar = null;
        }
    }
}
