package kvmsim.actors.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress bar: only on a terminal, only after two seconds, with count, rate and time left, erased at the end. */
class ProgressTest {

    private final StringWriter sink = new StringWriter();
    private final AtomicLong now = new AtomicLong();

    private Progress progress(boolean terminal, long total) {
        return new Progress(new PrintWriter(sink), terminal, "replaying r1", "steps", total, now::get);
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
    void aShortCommandDrawsNothing() {
        Progress p = progress(true, 1000);
        now.set(Progress.DELAY.toNanos() - 1);
        p.accept(999);
        p.close();
        assertEquals("", sink.toString());
    }

    @Test
    void aTerminalDrawsDoneTotalRateAndTimeLeftThenErases() throws Exception {
        Progress p = progress(true, 1000);
        now.set(Progress.DELAY.toNanos());
        p.accept(500);
        Thread.sleep(400); // the library redraws on its own timer
        String drawn = sink.toString();
        assertTrue(drawn.startsWith("\rreplaying r1"), drawn);
        assertTrue(drawn.contains("500/1000 steps"), drawn);
        assertTrue(drawn.contains("steps/s"), "the rate: " + drawn);
        p.close();
        String all = sink.toString();
        assertTrue(all.endsWith("\r"), "erased at the end");
        assertFalse(all.substring(all.lastIndexOf('\r', all.length() - 2) + 1).strip().contains("steps"), all);
    }

    @Test
    void theSuitesRedirectedStderrIsNotATerminal() {
        // the suite's stderr is not a terminal, whatever KVMSIM_PROGRESS says
        assertFalse(Progress.stderrIsTerminal());
    }
}
