package kvmsim.bench;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import kvmsim.actors.cli.BadInput;
import kvmsim.actors.engine.JournaledReplay;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.StoredRun;
import kvmsim.bench.traces.Arm64TraceGenerator;
import kvmsim.domain.audit.OfflineAudit;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.history.RunHistory;
import kvmsim.domain.history.StateFold;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.store.JournalLocation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * How fast a stored run is audited. One generated run is replayed once on the actor engine into an
 * H2 journal; then, each round, its events are read back through Persistence Query, folded with
 * evolve alone (the baseline: the least any pass over the events costs) and audited offline. Prints
 * events/s per round, the medians and the audit's cost over the bare fold.
 */
@Command(name = "bench-audit", description = "Measure offline audit speed in events/s on a generated run in H2, "
        + "against reading the journal and a bare fold of the same events.")
final class AuditBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--steps", defaultValue = "100000", description = "steps in the generated trace (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--rounds", defaultValue = "5", description = "measured rounds (default ${DEFAULT-VALUE}), after one warm-up")
    int rounds;

    @Mixin
    BenchJournalOption journal;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (steps < 100 || rounds < 1) {
            throw new BadInput("bench-audit: --steps 100 or more and --rounds 1 or more");
        }
        Trace trace = Arm64TraceGenerator.generate(steps, 7);
        JournalLocation location = journal.h2();
        String run = "bench-audit-" + System.currentTimeMillis();
        try (KvmsimSystem sys = KvmsimSystem.start(location, ConfigFactory.empty())) {
            long t0 = System.nanoTime();
            RunReport online = JournaledReplay.run(sys, run, trace, Policies.defaults(), false, ReplayListener.NONE);
            out.printf("replayed %d steps on the actor engine into %s: %d events, %d violations, %.1f s%n", steps,
                    location, online.eventCount(), online.violations().size(), (System.nanoTime() - t0) / 1e9);
            out.flush();
            JournalReader reader = new JournalReader(sys.system());
            StoredRun stored = reader.run(run);
            List<Double> read = new ArrayList<>();
            List<Double> fold = new ArrayList<>();
            List<Double> audit = new ArrayList<>();
            List<Violation> expected = new ArrayList<>(online.violations());
            expected.sort(OfflineAudit.ORDER);
            for (int i = 0; i <= rounds; i++) {
                long r0 = System.nanoTime();
                RunHistory h = reader.history(stored, n -> {
                });
                double readRate = h.events().size() / seconds(r0);
                long f0 = System.nanoTime();
                StateFold f = new StateFold();
                for (Emitted e : h.events()) {
                    f.apply(e);
                }
                double foldRate = h.events().size() / seconds(f0);
                long a0 = System.nanoTime();
                List<Violation> found = OfflineAudit.audit(h.events());
                double auditRate = h.events().size() / seconds(a0);
                if (!found.equals(expected)) {
                    throw new IllegalStateException("the offline audit differs from the online check");
                }
                if (i == 0) {
                    out.printf("warm-up: %d events read back, offline audit = online check (%d violations)%n",
                            h.events().size(), found.size());
                } else {
                    read.add(readRate);
                    fold.add(foldRate);
                    audit.add(auditRate);
                    out.printf("round %d: read %.0f events/s, fold %.0f events/s, audit %.0f events/s%n", i, readRate,
                            foldRate, auditRate);
                }
                out.flush();
            }
            double mr = BenchSupport.median(read);
            double mf = BenchSupport.median(fold);
            double ma = BenchSupport.median(audit);
            out.printf("median of %d rounds, %d events: read %.0f events/s, fold %.0f events/s, audit %.0f events/s "
                    + "(audit costs %.2fx a bare fold); read+audit %.0f events/s%n", rounds, online.eventCount(), mr,
                    mf, ma, mf / ma, 1 / (1 / mr + 1 / ma));
        }
        out.flush();
        return 0;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
