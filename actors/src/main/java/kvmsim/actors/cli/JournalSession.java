package kvmsim.actors.cli;

import java.nio.file.Files;
import java.util.List;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.JournalFormat;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.StoredRun;
import kvmsim.domain.history.RunHistory;
import kvmsim.journal.store.JournalLocation;

/** A journal opened for reading, and the runs in it; every problem is a {@link BadInput} (exit 2). */
final class JournalSession implements AutoCloseable {

    final JournalLocation location;
    private final KvmsimSystem sys;
    final JournalReader reader;

    private JournalSession(JournalLocation location, KvmsimSystem sys) {
        this.location = location;
        this.sys = sys;
        this.reader = new JournalReader(sys.system());
    }

    static JournalSession open(JournalOption journal) {
        JournalLocation location = journal.location();
        if (location.kind() == JournalLocation.Kind.H2_FILE && !Files.exists(location.dir().resolve("journal.mv.db"))) {
            throw new BadInput("--journal " + location + ": no journal there (replay creates it)");
        }
        JournalOption.checkSchema(location);
        return new JournalSession(location, KvmsimSystem.startReader(location));
    }

    /** The actor system the journal is read through: a reader's, with no cluster (KvmsimSystem.startReader). */
    KvmsimSystem system() {
        return sys;
    }

    /** The run ids, oldest first. */
    List<String> runIds() {
        return reader.runs();
    }

    /** {@code requested}, or the latest run when null; an unknown id or an empty journal is bad input. */
    StoredRun run(String requested, String option) {
        List<String> ids = runIds();
        if (ids.isEmpty()) {
            throw new BadInput(location + ": the journal is empty: no runs (replay writes them)");
        }
        String id = requested != null ? requested : ids.get(ids.size() - 1);
        if (!ids.contains(id)) {
            throw new BadInput(option + " " + id + ": no such run in " + location + " (kvmsim runs lists them)");
        }
        return read(id);
    }

    StoredRun read(String id) {
        try {
            return reader.run(id);
        } catch (JournalFormat.TooNew e) {
            throw new BadInput(location + ": " + e.getMessage());
        }
    }

    RunHistory history(StoredRun run, Progress progress) {
        return reader.history(run, rows(run, progress));
    }

    /** The rows of a run's entities, in the journal's order. */
    List<JournalReader.Stored> rows(StoredRun run, Progress progress) {
        try {
            return reader.runEvents(run.id(), null, progress);
        } catch (JournalFormat.TooNew e) {
            throw new BadInput(location + ": " + e.getMessage());
        } finally {
            progress.close();
        }
    }

    @Override
    public void close() {
        sys.close();
    }
}
