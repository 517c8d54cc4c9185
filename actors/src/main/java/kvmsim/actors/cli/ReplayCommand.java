package kvmsim.actors.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import kvmsim.actors.engine.ActorEngine;
import kvmsim.actors.engine.ConcurrentReplay;
import kvmsim.actors.engine.JournaledReplay;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.entity.JournalFailed;
import kvmsim.actors.history.JournalFormat;
import kvmsim.actors.history.JournalReader;
import kvmsim.actors.history.RunLog;
import kvmsim.actors.history.StoredRun;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.engine.TextReport;
import kvmsim.domain.history.StepRecord;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.NotModelled;
import kvmsim.domain.trace.TraceSource;
import kvmsim.journal.output.OutputJson;
import kvmsim.journal.store.JournalLocation;
import kvmsim.journal.trace.TraceFile;
import kvmsim.journal.trace.TraceFormatException;
import kvmsim.journal.trace.TraceParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "replay", description = "Apply traces, check their expectations and audit the invariants.")
final class ReplayCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "TRACE", description = "trace files (docs/trace-format.md); - reads "
            + "standard input, and a pipe or <(...) works too: the whole trace is checked before its first step")
    List<Path> traces;

    @Option(names = "--engine", defaultValue = "actors",
            description = "actors (persistent actors on the journal, default) or reference (in memory)")
    String engine;

    @Option(names = "--json", description = "one JSON object per line instead of text")
    boolean json;

    @Option(names = "--policy", paramLabel = "KEY=VALUE", description = "a kernel variant; wins over the trace's POLICY")
    Map<String, String> policies = new LinkedHashMap<>();

    @Option(names = {"-q", "--quiet"},
            description = "print only the steps that failed an expectation or broke an invariant, then the summary")
    boolean quiet;

    @Option(names = "--fail-fast", description = "stop a trace at its first failed expectation or unexpected violation "
            + "(steps then run one at a time)")
    boolean failFast;

    @Option(names = "--window", paramLabel = "N", defaultValue = "" + ConcurrentReplay.DEFAULT_WINDOW,
            description = "on the actor engine, up to N steps in flight: they run at the same time, each entity "
                    + "gets its commands in trace order, and results are judged in trace order (default "
                    + "${DEFAULT-VALUE}; 1: one step at a time)")
    int window;

    @Option(names = "--run", paramLabel = "ID", description = "the run id (default: generated): " + RunId.RULE
            + "; several traces get ID-1, ID-2, ...")
    String runId;

    @Option(names = "--resume", paramLabel = "RUN", description = "continue RUN, interrupted (killed, stopped or "
            + "failed), from the first step its log does not hold; TRACE and the policies must be the run's own")
    String resume;

    @Option(names = "--cluster", paramLabel = "HOST:PORT", description = "run on a running cluster: join it through "
            + "this node as a driver that hosts no entities (needs the cluster's PostgreSQL --journal)")
    String cluster;

    @Option(names = "--cluster-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "with --cluster: the address this driver listens on and is reached at (default ${DEFAULT-VALUE})")
    String clusterHost;

    @Mixin
    JournalOption journal;

    private StopSignals signals;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (StopSignals stop = new StopSignals(err)) {
            signals = stop;
            return replay(out);
        } catch (BadInput | TraceFile.Unreadable e) {
            err.println(e.getMessage());
            return Main.BAD_INPUT;
        } finally {
            out.flush();
        }
    }

    private int replay(PrintWriter out) {
        if (!engine.equals("actors") && !engine.equals("reference")) {
            throw new BadInput("--engine takes actors or reference, not '" + engine + "'");
        }
        if (window < 1 || window > ConcurrentReplay.MAX_WINDOW) {
            throw new BadInput("--window takes 1 to " + ConcurrentReplay.MAX_WINDOW + " steps, not " + window);
        }
        RunId.check(runId, "--run");
        if (runId != null && traces.size() > 1) {
            RunId.check(runId + "-" + traces.size(), "--run");
        }
        checkPolicies(policies);
        if (cluster != null && !engine.equals("actors")) {
            throw new BadInput("--cluster runs the actor engine; --engine reference runs in this process");
        }
        if (resume != null) {
            return resume(out);
        }
        if (engine.equals("actors") && cluster == null) {
            // Pekko starts while the traces are checked; the journal is opened (and on H2 created)
            // only once they passed: a rejected trace leaves no journal behind
            JournalLocation location = journal.location();
            try (BackgroundStart starting = new BackgroundStart(() -> KvmsimSystem.start(location,
                    ConfigFactory.empty()))) {
                List<TraceSource> parsed = parseAll();
                JournalOption.checkSchema(location);
                return replayOnActors(out, parsed, location, starting.get().withPluginsStarted());
            }
        }
        List<TraceSource> parsed = parseAll();
        if (engine.equals("actors")) {
            JournalLocation location = location();
            return replayOnActors(out, parsed, location, clusterDriver(location));
        }
        int status = 0;
        for (int i = 0; i < parsed.size(); i++) {
            TraceSource t = parsed.get(i);
            String id = runIdFor(i);
            status = Math.max(status, statusOf(run(out, t, id, (pol, listener) -> Replay.run(id, t, pol,
                    new ReferenceEngine(), failFast, listener))));
            if (status == Main.INTERRUPTED) {
                break;
            }
        }
        return status;
    }

    // every trace is validated before anything runs: a bad one writes nothing. Validation
    // streams, and so does the replay: a trace file is read again as it runs.
    private List<TraceSource> parseAll() {
        List<TraceSource> parsed = new ArrayList<>();
        for (Path p : traces) {
            parsed.add(open(p));
        }
        return parsed;
    }

    private int replayOnActors(PrintWriter out, List<TraceSource> parsed, JournalLocation location,
            KvmsimSystem system) {
        int status = 0;
        try (KvmsimSystem sys = system) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < parsed.size(); i++) {
                ids.add(runIdFor(i));
                // one query for the run's log, not a scan of every persistence id in a shared journal
                if (holdsRun(location, ids.get(i))) {
                    // its entities already hold events: a second replay would land on them
                    throw new BadInput("--run " + ids.get(i) + ": that run is already in " + location
                            + "; give a new id");
                }
            }
            for (int i = 0; i < parsed.size(); i++) {
                String id = ids.get(i);
                TraceSource t = parsed.get(i);
                status = Math.max(status, journalTold(location, () -> statusOf(run(out, t, id, (pol, listener) ->
                        JournaledReplay.run(new ActorEngine(sys, id), sys, id, t, pol, window, failFast, listener)))));
                if (status == Main.INTERRUPTED) {
                    break;
                }
            }
        }
        return status;
    }

    // a replay on the actors, whose journal failure is told with where the journal is
    private static int journalTold(JournalLocation location, java.util.function.IntSupplier replay) {
        try {
            return replay.getAsInt();
        } catch (JournalFailed f) {
            throw f.where(freeSpace(location));
        }
    }

    // what an H2 journal's file system has left: the usual reason its writes fail
    private static String freeSpace(JournalLocation location) {
        if (location.kind() != JournalLocation.Kind.H2_FILE) {
            return location.toString();
        }
        try {
            long free = java.nio.file.Files.getFileStore(location.dir()).getUsableSpace();
            return location + ", on a file system with " + (free >> 20) + " MiB free";
        } catch (java.io.IOException e) {
            return location.toString();
        }
    }

    /** {@code --resume RUN TRACE}: the run goes on where its log ends (JournaledReplay.resume). */
    private int resume(PrintWriter out) {
        RunId.check(resume, "--resume");
        if (!engine.equals("actors")) {
            throw new BadInput("--resume continues a run kept in the journal; the reference engine keeps none");
        }
        if (cluster != null) {
            throw new BadInput("--resume runs in this process, with the run's journal; not with --cluster");
        }
        if (runId != null) {
            throw new BadInput("--resume RUN names the run it continues; --run is for a new run");
        }
        if (traces.size() != 1) {
            throw new BadInput("--resume RUN takes the one trace RUN ran, not " + traces.size());
        }
        JournalLocation location = journal.location();
        if (location.kind() == JournalLocation.Kind.H2_FILE && !Files.exists(location.h2File())) {
            throw new BadInput("--resume " + resume + ": no journal at " + location + ": nothing to resume");
        }
        if (location.inMemory()) {
            throw new BadInput("--resume " + resume + ": an in-memory journal (" + location + ") keeps no run "
                    + "after its process: nothing to resume");
        }
        try (BackgroundStart starting = new BackgroundStart(() -> KvmsimSystem.start(location,
                ConfigFactory.empty()))) {
            TraceSource t = open(traces.get(0));
            // a run to resume is in the journal already: its tables are checked, never created (a
            // refused resume writes nothing, not even an older journal's missing identity row)
            JournalOption.refuseEmptyFile(location);
            try {
                if (!location.hasSchema()) {
                    // an H2 file without tables (made by another H2 tool, or by a kvmsim before c2a2207 killed
                    // while it started; a new journal appears whole now): no run began there
                    throw new BadInput("--resume " + resume + ": no such run in " + location
                            + " (it holds no kvmsim tables yet): nothing to resume");
                }
            } catch (java.sql.SQLException e) {
                throw JournalOption.cannotOpen(location, e);
            }
            try (KvmsimSystem sys = starting.get().withPluginsStarted()) {
                StoredRun run = resumable(sys, location, t);
                if (!json) {
                    out.println("resuming run " + resume + " after the " + run.steps().size() + " steps its log holds (of "
                            + t.stepCount() + ")");
                }
                return journalTold(location, () -> statusOf(run(out, t, resume, (pol, listener) ->
                        JournaledReplay.resume(new ActorEngine(sys, resume), sys, run, t, pol, window, failFast,
                                listener))));
            }
        }
    }

    // the run, if it can go on with this trace and these policies; else why not, as bad input
    private StoredRun resumable(KvmsimSystem sys, JournalLocation location, TraceSource t) {
        StoredRun run;
        try {
            run = new JournalReader(sys.system()).run(resume);
        } catch (JournalFormat.TooNew e) {
            throw new BadInput("--resume " + resume + ": " + e.getMessage());
        }
        String what = "--resume " + resume + ": ";
        if (run == null) {
            throw new BadInput(what + "no such run in " + location + " (kvmsim runs lists them)");
        }
        if (run.finished() != null) {
            throw new BadInput(what + "the run finished (" + run.finished().steps() + " steps, exit "
                    + run.finished().exitStatus() + "): there is nothing to resume; replay the trace again under a new "
                    + "--run id");
        }
        if (!run.started().engine().equals("actors")) {
            throw new BadInput(what + "the run was on the " + run.started().engine() + " engine, which keeps nothing "
                    + "to resume");
        }
        String digest = t.digest();
        if (run.started().traceDigest() == null) {
            throw new BadInput(what + "the run was written by a kvmsim that did not keep its trace's digest, so "
                    + "nothing tells that " + t.file() + " is its trace: it cannot be resumed");
        }
        if (!run.started().traceDigest().equals(digest)) {
            throw new BadInput(what + t.file() + " is not the trace the run ran (" + run.started().trace() + ", "
                    + run.started().traceDigest() + "; this one is " + digest + ")");
        }
        Map<String, String> now = Replay.policiesFor(t, policies).values();
        Map<String, String> then = run.started().policies();
        if (!now.equals(then)) {
            List<String> differ = new ArrayList<>();
            new TreeMap<>(then).forEach((k, v) -> {
                if (!v.equals(now.get(k))) {
                    differ.add(k + "=" + v + " (now " + now.get(k) + ")");
                }
            });
            now.keySet().stream().filter(k -> !then.containsKey(k)).sorted()
                    .forEach(k -> differ.add(k + " unset (now " + now.get(k) + ")"));
            throw new BadInput(what + "the run ran with other policies: " + String.join(", ", differ)
                    + "; give the run's own with --policy");
        }
        checkJudgedAgain(run, t, Replay.policiesFor(t, policies));
        return run;
    }

    // the steps the log holds, judged again on the reference engine, must be what the log says: a
    // run resumed by another version of kvmsim would not be one run. A pass of its own before the
    // resumed run, which plans those steps again: compared as that run judges them, later steps
    // would already be on the actors (--window) when a refusal came, and a refusal writes nothing
    private void checkJudgedAgain(StoredRun run, TraceSource t, Policies pol) {
        List<StepRecord> kept = run.steps();
        if (kept.size() > t.stepCount()) {
            throw new BadInput("--resume " + resume + ": the run's log holds " + kept.size() + " steps; "
                    + t.file() + " has " + t.stepCount());
        }
        List<StepRecord> again = new ArrayList<>();
        Replay.run(resume, t, pol, new ReferenceEngine(), false, new ReplayListener() {
            @Override
            public void step(StepResult s) {
                again.add(StepRecord.of(s));
            }

            @Override
            public boolean stopRequested() {
                return again.size() >= kept.size();
            }
        });
        for (int i = 0; i < kept.size(); i++) {
            if (!kept.get(i).equals(again.get(i))) {
                throw new BadInput(t.file() + ":" + again.get(i).line() + ": run " + resume + " judged this step as "
                        + kept.get(i) + "; this kvmsim judges it as " + again.get(i) + ", so it cannot continue "
                        + "the run (written by another version?)");
            }
        }
    }

    private JournalLocation location() {
        if (cluster != null) {
            NodeCommand.hostPort(cluster, "--cluster");
            return journal.sharedLocation("replay --cluster");
        }
        JournalLocation location = journal.location();
        JournalOption.checkSchema(location);
        return location;
    }

    private static boolean holdsRun(JournalLocation location, String id) {
        try {
            return location.holdsEventsOf(id + RunLog.SUFFIX);
        } catch (java.sql.SQLException e) {
            throw JournalOption.cannotOpen(location, e);
        }
    }

    /** A driver node on a running cluster. */
    private KvmsimSystem clusterDriver(JournalLocation location) {
        KvmsimSystem sys = KvmsimSystem.startNode(location, new KvmsimSystem.Node(clusterHost, 0, List.of(cluster),
                List.of("driver")), ConfigFactory.empty());
        try {
            if (!sys.awaitReady(java.time.Duration.ofSeconds(60))) {
                sys.close();
                if (sys.refusedByTheCluster()) {
                    throw new BadInput(JournalOption.refused("--cluster " + cluster, location));
                }
                throw new BadInput("--cluster " + cluster + ": could not join it, or no node hosts entities "
                        + "(role entities), within 60 s");
            }
        } catch (InterruptedException e) {
            sys.close();
            Thread.currentThread().interrupt();
            throw new BadInput("--cluster " + cluster + ": interrupted while joining");
        }
        sys.sharding();
        return sys;
    }

    /** How a trace is run: on the reference engine, or on the actors with a run log in the journal. */
    private interface Runner {
        RunReport run(Policies policies, ReplayListener listener);
    }

    private RunReport run(PrintWriter out, TraceSource t, String id, Runner runner) {
        Policies pol = Replay.policiesFor(t, policies);
        ObjectMapper m = OutputJson.MAPPER;
        if (!json) {
            out.println(TextReport.header(id, t.file(), pol.values()));
        }
        // a bar only where it cannot tangle with the step lines: on a terminal's stderr while stdout
        // goes elsewhere or prints only failures
        Progress progress = quiet || json || !Progress.stdoutIsTerminal()
                ? Progress.onStderr(spec.commandLine().getErr(), "replaying " + id, "steps", t.stepCount())
                : Progress.none();
        long[] done = {0};
        ReplayListener printer = new ReplayListener() {
            @Override
            public void step(StepResult s) {
                progress.accept(++done[0]);
                if (quiet && !s.failed()) {
                    return;
                }
                out.println(json ? stepJson(m, id, t.file(), s).toString() : TextReport.step(t.file(), s));
            }

            @Override
            public boolean stopRequested() {
                return signals != null && signals.requested();
            }
        };
        RunReport r;
        try (progress) {
            r = runner.run(pol, printer);
        }
        if (json) {
            footerJson(out, m, r);
        } else {
            TextReport.footer(r).forEach(out::println);
        }
        out.flush();
        return r;
    }

    /** A run's exit status: its verdict, or 130 when it was interrupted. */
    private static int statusOf(RunReport r) {
        return r.interrupted() ? Main.INTERRUPTED : r.exitStatus();
    }

    /** --policy values, checked before anything runs. */
    static void checkPolicies(Map<String, String> policies) {
        policies.forEach((k, v) -> {
            String problem = Policies.problem(k, v);
            if (problem != null) {
                throw new BadInput("--policy: " + problem);
            }
        });
    }

    static TraceFile open(Path p) {
        TraceFile t;
        try {
            t = TraceParser.openAny(p.toString());
        } catch (TraceFormatException e) {
            throw new BadInput(e.getMessage());
        }
        for (NotModelled n : t.notModelled()) {
            throw new BadInput(t.file() + ":" + n.line() + ": " + n.reason());
        }
        return t;
    }

    private String runIdFor(int index) {
        String base = runId != null ? runId
                : "r" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        return traces.size() == 1 ? base : base + "-" + (index + 1);
    }

    private static ObjectNode stepJson(ObjectMapper m, String run, String file, StepResult s) {
        ObjectNode n = m.createObjectNode();
        n.put("type", "step").put("run", run).put("file", file).put("line", s.line())
                .put("op", s.op()).put("thread", s.thread());
        if (s.passedThrough() != null) {
            n.put("passed_through", s.passedThrough());
            return n;
        }
        n.put("ret", s.ret());
        n.put("errno", s.errno() == null ? null : s.errno().name());
        if (s.outcome() != null) {
            n.put("result", s.outcome()); // HOST_MEM_ABORT's outcome, a count's decimal text
        }
        if (s.exit() != null) {
            n.put("exit", s.exit().name());
        }
        n.set("mismatches", m.valueToTree(s.mismatches()));
        List<String> ids = s.violations().stream().map(Violation::invariant).toList();
        n.set("violations", m.valueToTree(ids));
        return n;
    }

    private static void footerJson(PrintWriter out, ObjectMapper m, RunReport r) {
        for (Violation v : r.violations()) {
            ObjectNode n = OutputJson.line("violation").put("run", r.runId()).put("file", r.file());
            n.setAll((ObjectNode) m.valueToTree(v));
            n.put("expected", !r.unexpected().contains(v));
            out.println(n);
        }
        ObjectNode sum = m.createObjectNode();
        sum.put("type", "summary").put("run", r.runId()).put("file", r.file()).put("steps", r.stepCount())
                .put("modelled", r.modelledCount()).put("passed_through", r.passedThroughCount())
                .put("mismatches", r.mismatchCount()).put("violations", r.violations().size())
                .put("unexpected", r.unexpected().size()).put("events", r.eventCount())
                .put("stopped_early", r.stoppedEarly()).put("interrupted", r.interrupted())
                .put("exit", statusOf(r));
        sum.set("passed_through_by_name", m.valueToTree(r.passedThrough()));
        sum.set("policies", m.valueToTree(r.policies()));
        out.println(sum);
    }
}
