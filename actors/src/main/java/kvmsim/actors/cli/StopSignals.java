package kvmsim.actors.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) and SIGTERM during a long command: the first asks it to stop after the step it
 * is in, so that what ran is judged and kept and the run is marked interrupted (exit 130); a
 * second one ends the process at once. The JVM's own handling (run the shutdown hooks and exit)
 * would kill the replay mid-step and leave the run looking unfinished.
 */
final class StopSignals implements AutoCloseable {

    private final AtomicBoolean requested = new AtomicBoolean();
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    StopSignals(PrintWriter err) {
        for (String name : List.of("INT", "TERM")) {
            Signal s = new Signal(name);
            signals.add(s);
            previous.add(Signal.handle(s, sig -> {
                if (requested.getAndSet(true)) {
                    Runtime.getRuntime().halt(Main.INTERRUPTED);
                }
                err.println("kvmsim: SIG" + sig.getName() + ": stopping after this step (again to quit at once)");
                err.flush();
            }));
        }
    }

    /** Whether a stop was asked for. */
    boolean requested() {
        return requested.get();
    }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) {
            Signal.handle(signals.get(i), previous.get(i));
        }
    }
}
