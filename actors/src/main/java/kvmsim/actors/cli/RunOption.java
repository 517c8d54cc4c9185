package kvmsim.actors.cli;

import kvmsim.actors.history.StoredRun;
import picocli.CommandLine.Option;

/** --run, shared by the commands that read one stored run: the latest when not given. */
final class RunOption {

    @Option(names = "--run", paramLabel = "ID", description = "the run (default: the latest)")
    String id;

    StoredRun read(JournalSession session) {
        return session.run(RunId.check(id, "--run"), "--run");
    }
}
