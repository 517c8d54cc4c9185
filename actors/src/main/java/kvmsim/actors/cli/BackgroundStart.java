package kvmsim.actors.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import kvmsim.actors.engine.KvmsimSystem;

/**
 * The actor system, started on a thread of its own while the command reads and checks its input:
 * a replay of a short trace spent about as long starting Pekko as replaying. The one who takes it ({@link #get()}) closes it; if nobody does (the input was
 * bad), {@link #close()} waits for it and closes it.
 */
final class BackgroundStart implements AutoCloseable {

    private final FutureTask<KvmsimSystem> task;
    private boolean taken;

    BackgroundStart(Callable<KvmsimSystem> start) {
        task = new FutureTask<>(start);
        Thread t = new Thread(task, "kvmsim-start");
        t.setDaemon(true);
        t.start();
    }

    /** The started system, now the caller's to close; what stopped it from starting, rethrown. */
    KvmsimSystem get() {
        try {
            KvmsimSystem sys = task.get();
            taken = true;
            return sys;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the actor system started", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("the actor system did not start: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void close() {
        if (taken) {
            return;
        }
        try {
            task.get().close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // it never started: nothing to close, and the command already failed for its own reason
        }
    }
}
