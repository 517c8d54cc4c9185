package kvmsim.actors.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress bar: only on a terminal, only after two seconds, redrawn in place, erased at the end. */
class ProgressTest {

    private final StringWriter sink = new StringWriter();
    private final AtomicLong now = new AtomicLong();

    private Progress progress(boolean terminal, long total) {
        return new Progress(new PrintWriter(sink), terminal, "auditing r1", total, now::get);
    }

    @Test
    void notATerminalNeverDraws() {
        Progress p = progress(false, 1000);
        now.set(60_000_000_000L);
        p.accept(500);
        p.close();
        assertEquals("", sink.toString());
    }

    @Test
    void aTerminalDrawsOnlyAfterTheDelayThenErases() {
        Progress p = progress(true, 1000);
        now.set(Progress.DELAY_NANOS - 1);
        p.accept(100);
        assertEquals("", sink.toString(), "a short command prints nothing");
        now.set(Progress.DELAY_NANOS);
        p.accept(500);
        assertEquals("\rauditing r1 [###############...............]  50% 500/1,000 events", sink.toString());
        now.addAndGet(1_000_000);
        p.accept(600);
        assertEquals(-1, sink.toString().indexOf("600"), "redrawn at most five times a second");
        now.addAndGet(Progress.DELAY_NANOS);
        p.accept(1000);
        assertTrue(sink.toString().endsWith("\rauditing r1 [##############################] 100% 1,000/1,000 events"));
        p.close();
        assertTrue(sink.toString().endsWith("\r"), "erased");
    }

    @Test
    void anUnknownTotalShowsTheCount() {
        assertEquals("auditing r1 12,345 events", progress(true, 0).line(12_345));
    }
}
