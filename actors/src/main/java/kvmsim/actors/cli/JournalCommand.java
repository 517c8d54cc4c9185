package kvmsim.actors.cli;

import java.util.concurrent.Callable;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "journal", description = "Manage the journal itself.", subcommands = JournalCommand.Init.class)
final class JournalCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "journal: a subcommand is required (init)");
    }

    @Command(name = "init", description = "Create the journal's tables (event_journal, event_tag, snapshot, "
            + "durable_state) if they are not there, and the journal's identity (kvmsim_journal), which cluster nodes "
            + "compare when one joins: once per PostgreSQL database, before the first node starts. Safe to run again.")
    static final class Init implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        JournalOption journal;

        @Override
        public Integer call() {
            try {
                JournalLocation location = journal.location();
                try {
                    location.ensureSchema();
                } catch (Exception e) {
                    throw new BadInput("--journal " + location + ": cannot create the tables: " + e.getMessage());
                }
                String id;
                try {
                    id = location.identity();
                } catch (Exception e) {
                    throw new BadInput("--journal " + location + ": cannot read its identity: " + e.getMessage());
                }
                spec.commandLine().getOut().println("journal tables ready in " + location + " (journal " + id + ")");
                return 0;
            } catch (BadInput e) {
                spec.commandLine().getErr().println(e.getMessage());
                return Main.BAD_INPUT;
            }
        }
    }
}
