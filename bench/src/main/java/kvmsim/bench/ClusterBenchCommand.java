package kvmsim.bench;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import kvmsim.actors.cli.BadInput;
import kvmsim.actors.cli.JournalOption;
import kvmsim.actors.cli.Main;
import kvmsim.actors.engine.JournaledReplay;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.entity.Sharding;
import kvmsim.bench.traces.FleetTraceGenerator;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A generated fleet replayed on clusters of 1 and of 3 entity nodes, each with a driver node, all
 * in this process on loopback ports and one PostgreSQL journal: steps/s, events/s, and the heap the
 * live entities take. On one machine three nodes share its cores: this measures the cost of
 * spreading entities (remote asks, cross-node broadcasts), not scaling.
 */
@Command(name = "bench-cluster", description = "Replay a generated fleet (VMs x vCPUs x memslots) on 1 and on 3 "
        + "in-process cluster nodes sharing a PostgreSQL journal: steps/s, events/s, heap per entity.")
final class ClusterBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--vms", defaultValue = "1000", description = "VMs (default ${DEFAULT-VALUE})")
    int vms;

    @Option(names = "--vcpus", defaultValue = "4", description = "vCPUs per VM (default ${DEFAULT-VALUE})")
    int vcpus;

    @Option(names = "--slots", defaultValue = "4", description = "memslots per VM (default ${DEFAULT-VALUE})")
    int slots;

    @Option(names = "--nodes", split = ",", defaultValue = "1,3", description = "cluster sizes to compare (default ${DEFAULT-VALUE})")
    List<Integer> sizes;

    @Mixin
    JournalOption journal;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        JournalLocation location;
        try {
            location = journal.sharedLocation("bench-cluster");
            if (vms < 1 || vcpus < 1 || slots < 1 || sizes.stream().anyMatch(n -> n < 1)) {
                throw new BadInput("bench-cluster: --vms, --vcpus, --slots and --nodes take 1 or more");
            }
        } catch (BadInput e) {
            spec.commandLine().getErr().println(e.getMessage());
            return Main.BAD_INPUT;
        }
        Trace trace = FleetTraceGenerator.generate(vms, vcpus, slots, 100);
        long entities = (vms + 99) / 100 + (long) vms * (1 + vcpus + slots);
        out.printf("fleet: %d VMs x %d vCPUs x %d memslots on %d hosts: %d steps, %d entities, journal %s%n", vms,
                vcpus, slots, (vms + 99) / 100, trace.steps().size(), entities, location);
        out.flush();
        for (int n : sizes) {
            List<KvmsimSystem> nodes = new ArrayList<>();
            try {
                KvmsimSystem first = KvmsimSystem.startNode(location, new KvmsimSystem.Node("127.0.0.1", 0, List.of(),
                        List.of(Sharding.ROLE)), ConfigFactory.empty());
                String seed = first.system().address().getHost().get() + ":" + first.system().address().getPort().get();
                org.apache.pekko.cluster.typed.Cluster.get(first.system()).manager().tell(
                        org.apache.pekko.cluster.typed.Join.create(first.system().address()));
                nodes.add(first);
                for (int i = 1; i < n; i++) {
                    nodes.add(KvmsimSystem.startNode(location, new KvmsimSystem.Node("127.0.0.1", 0, List.of(seed),
                            List.of(Sharding.ROLE)), ConfigFactory.empty()));
                }
                nodes.forEach(KvmsimSystem::sharding);
                KvmsimSystem driver = KvmsimSystem.startNode(location, new KvmsimSystem.Node("127.0.0.1", 0,
                        List.of(seed), List.of("driver")), ConfigFactory.empty());
                nodes.add(driver);
                if (!driver.awaitReady(java.time.Duration.ofSeconds(60))) {
                    throw new IllegalStateException("the cluster did not form");
                }
                long heapBefore = usedHeapAfterGc();
                String run = "bench-cluster-" + n + "-" + System.currentTimeMillis();
                long t0 = System.nanoTime();
                RunReport r = JournaledReplay.run(driver, run, trace, Policies.defaults(), false, ReplayListener.NONE);
                double secs = (System.nanoTime() - t0) / 1e9;
                long heapAfter = usedHeapAfterGc();
                out.printf("%d node%s: %d steps in %.1f s: %.0f steps/s, %.0f events/s (%d events, exit %d); heap %+.1f MiB "
                        + "with every entity live: %.1f KiB per entity%n", n, n == 1 ? " " : "s", r.stepCount(), secs,
                        r.stepCount() / secs, r.eventCount() / secs, r.eventCount(), r.exitStatus(),
                        (heapAfter - heapBefore) / 1048576.0, (heapAfter - heapBefore) / 1024.0 / entities);
                out.flush();
            } finally {
                for (int i = nodes.size() - 1; i >= 0; i--) {
                    nodes.get(i).close();
                }
            }
        }
        return 0;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
