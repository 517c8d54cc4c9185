package kvmsim.actors.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.JournalFormat;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.StoredRun;
import kvmsim.actors.history.UnreadableRow;
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
        if (location.kind() == JournalLocation.Kind.H2_FILE) {
            // a reading command never creates a journal: H2 would make a new, empty one of a missing
            // or empty file, and the runs that were there would read as none
            Path file = location.h2File();
            if (!Files.exists(file)) {
                throw new BadInput("--journal " + location + ": no journal there (replay creates it)");
            }
            JournalOption.refuseEmptyFile(location);
        }
        if (location.inMemory()) {
            JournalOption.checkSchema(location);
        } else {
            JournalOption.checkTables(location);
        }
        return new JournalSession(location, KvmsimSystem.startReader(location));
    }

    /** The actor system the journal is read through: a reader's, with no cluster (KvmsimSystem.startReader). */
    KvmsimSystem system() {
        return sys;
    }

    /** The runs, with those whose log cannot be read set aside. */
    JournalReader.RunList runList() {
        return reader.runList();
    }

    /** A row that cannot be read, as the one line a reading command prints: run, entity, sequence number, reason. */
    BadInput unreadable(UnreadableRow e) {
        return new BadInput(location + ": run " + e.run() + ": cannot read " + e.entity() + " sequence number "
                + e.sequenceNr() + ": " + e.reason() + " (the journal's other runs are not affected)");
    }

    /** {@code requested}, or the latest run when null; an unknown id or an empty journal is bad input. */
    StoredRun run(String requested, String option) {
        JournalReader.RunList runs = runList();
        List<String> ids = runs.ids();
        if (requested != null) {
            for (UnreadableRow e : runs.unreadable()) {
                if (e.run().equals(requested)) {
                    throw unreadable(e);
                }
            }
        }
        if (ids.isEmpty()) {
            throw runs.unreadable().isEmpty() ? new BadInput(location + ": the journal is empty: no runs (replay "
                    + "writes them)") : unreadable(runs.unreadable().get(0));
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
        } catch (UnreadableRow e) {
            throw unreadable(e);
        }
    }

    RunHistory history(StoredRun run, Progress progress) {
        return reader.history(run, rows(run, progress));
    }

    /** The rows of a run's entities, in the journal's order. */
    List<JournalReader.Stored> rows(StoredRun run, Progress progress) {
        try {
            return reader.runEvents(run.id(), null, progress);
        } catch (UnreadableRow e) {
            throw unreadable(e);
        } finally {
            progress.close();
        }
    }

    @Override
    public void close() {
        sys.close();
    }
}
