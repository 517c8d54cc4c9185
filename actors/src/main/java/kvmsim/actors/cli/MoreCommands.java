package kvmsim.actors.cli;

import java.util.List;

/**
 * Subcommands that live outside the product (the benchmarks of the bench module): the CLI adds
 * those of every implementation on its class path, found with ServiceLoader.
 */
public interface MoreCommands {

    /** The picocli command classes to add under {@code kvmsim}. */
    List<Class<?>> commands();
}
