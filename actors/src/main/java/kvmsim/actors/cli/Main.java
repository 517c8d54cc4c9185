package kvmsim.actors.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import kvmsim.actors.entity.JournalFailed;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * kvmsim's command line. Every command, at every level, takes -h/--help and -V/--version;
 * {@code kvmsim help CMD} prints a command's help, and {@code kvmsim generate-completion} a bash
 * (and zsh, through bashcompinit) completion script made from the same command model.
 *
 * <p>Exit status: 0 every expectation held; 1 an expectation failed or an invariant broke
 * unexpectedly; 2 bad input or usage (one line, FILE:LINE where there is a file); 3 an internal
 * error (one line; the stack trace with --debug or KVMSIM_DEBUG=1); 130 interrupted (SIGINT or
 * SIGTERM).
 */
@Command(name = "kvmsim", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
        versionProvider = Main.Version.class, sortOptions = false,
        description = "An event-sourced model of Linux KVM memory management: replay what a VMM, its guest and "
                + "the host did, and see what the kernel does with guest memory.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:every expectation held, every broken invariant was expected",
                "1:an expectation failed or an invariant broke unexpectedly",
                "2:bad input or usage (FILE:LINE: what is wrong)",
                "3:an internal error of kvmsim (--debug shows the stack trace)",
                "4:the journal failed (a full disk, a database gone): what it confirmed is kept",
                "130:interrupted (SIGINT or SIGTERM)"})
public final class Main implements Runnable {

    // the commands, in the order the usage lists them (the bench module's follow, MoreCommands)
    private static final List<Class<?>> COMMANDS = List.of(ReplayCommand.class, ExploreCommand.class,
            ImportStraceCommand.class, RunsCommand.class, HistoryCommand.class, AuditCommand.class, StateCommand.class,
            DiffCommand.class, ReportCommand.class, NodeCommand.class, JournalCommand.class,
            CommandLine.HelpCommand.class, AutoComplete.GenerateCompletion.class);

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int BAD_INPUT = 2;
    public static final int INTERNAL_ERROR = 3;
    public static final int JOURNAL_FAILED = 4;
    public static final int INTERRUPTED = 130;

    @CommandLine.Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "print the stack trace of an internal error (also KVMSIM_DEBUG=1)")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** kvmsim's version, for -V on every command. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"kvmsim 0.1.0", "Java " + Runtime.version() + " (" + System.getProperty("java.home") + ")"};
        }
    }

    @Override
    public void run() {
        // no command: the usage once, on stderr, and a usage error
        spec.commandLine().usage(spec.commandLine().getErr());
        spec.commandLine().getErr().println("kvmsim: a command is required");
        throw new Usage();
    }

    /** The command line, with the commands of other modules found on the class path (MoreCommands). */
    public static CommandLine commandLine() {
        return tree(allCommands());
    }

    private static CommandLine tree(List<Class<?>> commands) {
        CommandLine cli = new CommandLine(new Main());
        commands.forEach(cli::addSubcommand);
        return cli;
    }

    /**
     * The command line for {@code args}: when they start with a command's name, with that command
     * alone (picocli builds the model of every command it is given, with their static initialisers:
     * 0.04 to 0.11 s of each start, measured), else the whole tree (no command, an option first, help, a name that
     * is none: the usage and picocli's suggestions need every command).
     */
    static CommandLine commandLineFor(String... args) {
        List<Class<?>> all = allCommands();
        if (args.length > 0) {
            for (Class<?> c : all) {
                Command named = c.getAnnotation(Command.class);
                if (named != null && named.name().equals(args[0]) && c != CommandLine.HelpCommand.class
                        && c != AutoComplete.GenerateCompletion.class) {
                    return tree(List.of(c));
                }
            }
        }
        return tree(all);
    }

    private static List<Class<?>> allCommands() {
        List<Class<?>> all = new ArrayList<>(COMMANDS);
        for (MoreCommands more : ServiceLoader.load(MoreCommands.class)) {
            all.addAll(more.commands());
        }
        return all;
    }

    public static int execute(String... args) {
        return execute(commandLineFor(args), args);
    }

    /** Runs {@code args} on {@code cli} with kvmsim's exit statuses and error reporting. */
    public static int execute(CommandLine cli, String... args) {
        // bind SLF4J to Logback on this thread before any actor system starts: otherwise the first
        // log calls race its initialization and SLF4J prints a replay warning on every run
        org.slf4j.LoggerFactory.getILoggerFactory();
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof Usage) {
                return BAD_INPUT;
            }
            if (ex instanceof BadInput) {
                err.println(ex.getMessage());
                return BAD_INPUT;
            }
            for (Throwable c = ex; c != null; c = c.getCause()) {
                if (c instanceof JournalFailed f) {
                    // neither the input's fault nor kvmsim's: the place the journal lives
                    err.println("kvmsim: the journal failed, and the run stopped: " + f.getMessage());
                    err.println("kvmsim: the journal keeps every event it confirmed; once it can be written again, "
                            + "replay --resume " + f.runId() + " (with the same trace and --journal) goes on from there");
                    if (debug(parsed)) {
                        ex.printStackTrace(err);
                    }
                    err.flush();
                    return JOURNAL_FAILED;
                }
            }
            // anything else is kvmsim's own fault, not the input's
            err.println("kvmsim: internal error: " + ex + (debug(parsed) ? "" : " (--debug shows where)"));
            if (debug(parsed)) {
                ex.printStackTrace(err);
            }
            err.flush();
            return INTERNAL_ERROR;
        });
        return cli.execute(args);
    }

    private static boolean debug(CommandLine.ParseResult parsed) {
        return "1".equals(System.getenv("KVMSIM_DEBUG")) || parsed.hasMatchedOption("--debug")
                || parsed.subcommands().stream().anyMatch(Main::debug);
    }

    /** No command given: the usage was printed; exit 2. */
    static final class Usage extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Usage() {
            super(null, null, false, false);
        }
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
