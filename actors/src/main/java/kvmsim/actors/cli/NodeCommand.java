package kvmsim.actors.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.engine.Membership;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "node", description = "Run a cluster node: join the seeds, host a share of the hosts, VMs, vCPUs and "
        + "memslots of every run, print membership changes. SIGTERM leaves the cluster gracefully: the node's shards "
        + "are handed to the others before it stops.")
final class NodeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on and be reached at (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "2551", description = "port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--seed", paramLabel = "HOST:PORT", description = "a seed node to join; repeat for several "
            + "(default: this node, which then starts a new cluster)")
    List<String> seeds = new ArrayList<>();

    @Option(names = "--roles", split = ",", defaultValue = "entities",
            description = "cluster roles (default ${DEFAULT-VALUE}: hosts entities)")
    List<String> roles;

    @Mixin
    JournalOption journal;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JournalLocation location;
        try {
            for (String s : seeds) {
                hostPort(s, "--seed");
            }
            if (port < 0 || port > 65535) {
                throw new BadInput("--port takes 0 to 65535, not " + port);
            }
            if (port == 0 && seeds.isEmpty()) {
                throw new BadInput("--port 0 (any free port) needs --seed: a node that starts a cluster must be "
                        + "reachable at a port the others know");
            }
            location = journal.sharedLocation("node");
        } catch (BadInput e) {
            err.println(e.getMessage());
            return Main.BAD_INPUT;
        }
        List<String> seedList = seeds.isEmpty() ? List.of(host + ":" + port) : seeds;
        KvmsimSystem sys = KvmsimSystem.startNode(location, new KvmsimSystem.Node(host, port, seedList, roles),
                ConfigFactory.empty());
        sys.sharding();
        out.println("node " + sys.system().address() + " roles " + roles + " seeds " + seedList + " journal "
                + location);
        out.flush();
        Membership.print(sys.system(), out);
        // said from the shutdown itself: on SIGTERM the JVM may halt before this thread runs again
        CoordinatedShutdown.get(sys.system()).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
                "kvmsim-node-stopped", () -> {
                    out.println("node " + sys.system().address().getHost().get() + ":"
                            + sys.system().address().getPort().get() + " stopped");
                    out.flush();
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
        sys.system().getWhenTerminated().toCompletableFuture().join();
        if (sys.refusedByTheCluster()) {
            err.println(JournalOption.refused("node " + host + ":" + port, location));
            err.flush();
            return Main.BAD_INPUT;
        }
        return 0;
    }

    static void hostPort(String s, String option) {
        int colon = s.lastIndexOf(':');
        boolean ok = colon > 0 && colon < s.length() - 1;
        if (ok) {
            try {
                int p = Integer.parseInt(s.substring(colon + 1));
                ok = p > 0 && p <= 65535;
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        if (!ok) {
            throw new BadInput(option + " takes HOST:PORT, not '" + s + "'");
        }
    }
}
