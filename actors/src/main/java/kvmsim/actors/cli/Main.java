package kvmsim.actors.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** kvmsim's command line. Exit status: 0 all held, 1 an expectation or invariant failed, 2 bad input or usage. */
@Command(name = "kvmsim", mixinStandardHelpOptions = true, version = "kvmsim 0.1.0",
        description = "An event-sourced model of Linux KVM memory management.",
        subcommands = {ReplayCommand.class, RunsCommand.class, HistoryCommand.class, AuditCommand.class,
                StateCommand.class, DiffCommand.class, ReportCommand.class, NodeCommand.class, JournalCommand.class,
                ImportStraceCommand.class})
public final class Main implements Runnable {

    public static final int BAD_INPUT = 2;

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
        throw new CommandLine.ParameterException(new CommandLine(this), "a command is required");
    }

    public static int execute(String... args) {
        // bind SLF4J to Logback on this thread before any actor system starts: otherwise the first
        // log calls race its initialization and SLF4J prints a replay warning on every run
        org.slf4j.LoggerFactory.getILoggerFactory();
        CommandLine cli = new CommandLine(new Main());
        for (MoreCommands more : java.util.ServiceLoader.load(MoreCommands.class)) {
            more.commands().forEach(cli::addSubcommand);
        }
        // picocli's own usage errors are exit 2 already; an unexpected exception must not print a stack trace
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("kvmsim: " + ex.getMessage());
            return BAD_INPUT;
        });
        return cli.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
