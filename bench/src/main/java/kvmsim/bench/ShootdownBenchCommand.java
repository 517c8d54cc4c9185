package kvmsim.bench;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import kvmsim.actors.cli.BadInput;
import kvmsim.actors.engine.ActorEngine;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.bench.baseline.BareJournalRate;
import kvmsim.bench.traces.ShootdownSetup;
import kvmsim.domain.engine.Engine;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmEvent;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Latency of one remote TLB flush (kvm_flush_remote_tlbs) from request to completion, for VMs with
 * a given number of vCPUs, all in guest mode: the VM persists the request, every vCPU persists its
 * flush and acknowledges, the VM persists the completion. Measured on the actor engine with an H2
 * journal on disk; the baselines in the same run are one persisted event at one entity (a single
 * vCPU's flush request) and the flush's shape on bare EventSourcedBehaviors (one event, then
 * one at each of the vCPU count's entities at once, then one more: the journal's floor under the
 * flush), and the reference engine gives the model's own cost.
 */
@Command(name = "bench-shootdown",
        description = "Measure TLB-shootdown latency (request to completion) on the actor engine with H2.")
final class ShootdownBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--vcpus", split = ",", defaultValue = "1,8,64,256",
            description = "vCPU counts to measure (default ${DEFAULT-VALUE})")
    List<Integer> vcpus;

    @Option(names = "--rounds", defaultValue = "100", description = "flushes measured per vCPU count (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--warmup", defaultValue = "10", description = "flushes not counted, per vCPU count (default ${DEFAULT-VALUE})")
    int warmup;

    @Mixin
    BenchJournalOption journal;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (rounds < 1 || warmup < 0 || vcpus.stream().anyMatch(n -> n < 1 || n > 1024)) {
            throw new BadInput("--rounds must be at least 1, --warmup at least 0, --vcpus between 1 and 1024");
        }
        JournalLocation location = journal.h2();
        out.printf("%6s  %12s %12s  %12s %12s  %12s %12s %12s  %14s  %10s%n", "vcpus", "actors p50", "actors p99",
                "persist p50", "ratio p50", "bare p50", "bare p99", "over bare", "reference p50", "events");
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            BareJournalRate bare = new BareJournalRate(sys.system(), "shootdown-bare-" + System.currentTimeMillis(),
                    vcpus.stream().mapToInt(Integer::intValue).max().orElse(1) + 1);
            for (int n : vcpus) {
                String run = "shootdown-" + n + "-" + System.currentTimeMillis();
                ActorEngine actors = new ActorEngine(sys, run);
                List<Double> act = measure(actors, n, run);
                List<Double> persist = measurePersist(actors);
                List<Double> floor = measureBare(bare, n);
                List<Double> ref = measure(new ReferenceEngine(), n, "ref");
                double p50 = BenchSupport.percentile(act, 50);
                double base = BenchSupport.percentile(persist, 50);
                double bareP50 = BenchSupport.percentile(floor, 50);
                out.printf("%6d  %9.2f ms %9.2f ms  %9.2f ms %11.1fx  %9.2f ms %9.2f ms %11.2fx  %11.3f ms  %10d%n", n,
                        p50, BenchSupport.percentile(act, 99), base, p50 / base, bareP50,
                        BenchSupport.percentile(floor, 99), p50 / bareP50,
                        BenchSupport.percentile(ref, 50), (long) (n + 2) * rounds);
                out.flush();
            }
        }
        out.printf("%d flushes per row after %d warm-up flushes; every vCPU in guest mode, so each flush persists "
                + "1 + vcpus + 1 events; bare: as many small events on bare EventSourcedBehaviors, in the same order%n",
                rounds, warmup);
        out.flush();
        return 0;
    }

    private List<Double> measure(Engine engine, int n, String run) {
        Replay.run(run, ShootdownSetup.trace(n), Policies.defaults(), engine, false);
        List<Double> ms = new ArrayList<>();
        EntityId vm = EntityId.vm("vm0");
        for (int i = 0; i < warmup + rounds; i++) {
            long t0 = System.nanoTime();
            Reply r = engine.send(1_000_000 + i, vm, new VmCommand.FlushRemoteTlbs("bench"));
            double elapsed = (System.nanoTime() - t0) / 1e6;
            VmEvent.RemoteTlbFlushCompleted done = (VmEvent.RemoteTlbFlushCompleted) r.events().get(1).event();
            if (done.flushed() != n) {
                throw new IllegalStateException("expected " + n + " vCPUs to flush, got " + done.flushed());
            }
            if (i >= warmup) {
                ms.add(elapsed);
            }
        }
        return ms;
    }

    /** The flush's events on bare behaviours: the first, the vCPUs' at once, the last. */
    private List<Double> measureBare(BareJournalRate bare, int n) {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < warmup + rounds; i++) {
            double elapsed = bare.broadcastMillis(n);
            if (i >= warmup) {
                ms.add(elapsed);
            }
        }
        return ms;
    }

    /** One event persisted at one entity, asked and answered: the floor under every broadcast. */
    private List<Double> measurePersist(Engine engine) {
        List<Double> ms = new ArrayList<>();
        EntityId vcpu = EntityId.vcpu("vm0", 0);
        for (int i = 0; i < warmup + rounds; i++) {
            long t0 = System.nanoTime();
            engine.send(2_000_000 + i, vcpu, new VcpuCommand.TlbFlushRequest(10_000_000L + i));
            if (i >= warmup) {
                ms.add((System.nanoTime() - t0) / 1e6);
            }
        }
        return ms;
    }
}
