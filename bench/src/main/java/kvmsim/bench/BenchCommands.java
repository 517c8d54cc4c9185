package kvmsim.bench;

import java.util.List;
import kvmsim.actors.cli.MoreCommands;

/** The benchmark commands, added to kvmsim's CLI when this module is on the class path. */
public final class BenchCommands implements MoreCommands {

    @Override
    public List<Class<?>> commands() {
        return List.of(BenchCommand.class, ShootdownBenchCommand.class, AuditBenchCommand.class,
                ImportBenchCommand.class, ExploreBenchCommand.class, ScaleBenchCommand.class,
                RecoveryBenchCommand.class, StartupBenchCommand.class);
    }
}
