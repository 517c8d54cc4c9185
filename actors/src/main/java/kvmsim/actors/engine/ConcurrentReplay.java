package kvmsim.actors.engine;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import kvmsim.domain.engine.Lookahead;
import kvmsim.domain.engine.Lookahead.Planned;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunJudge;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.TraceSource;

/**
 * A replay on the actor engine with up to {@code window} steps in flight. The reference engine
 * runs each step first ({@link Lookahead}), which tells what commands the step sends, what each
 * entity answers, and where each command falls in its entity's order; the step's commands then go
 * to the actors from a virtual thread of its own, at the same time as the steps around it, and
 * each entity still gets its commands in trace order ({@link PlannedStep}, {@link EntityLanes}): a
 * command waits only until the commands its entity gets before it are in its mailbox. Steps are
 * judged, audited and reported in trace order, as the sequential replay does.
 *
 * <p>Every reply of the actors is checked against the reference engine's: both decide with the
 * same pure code, so a difference is a bug in kvmsim, and the replay stops there with an internal
 * error naming the step.
 */
public final class ConcurrentReplay {

    /**
     * Steps in flight by default: as many as --window takes. A trace written VM after VM gives each VM
     * a chain of dependent steps: the window must span many VMs for their chains to run side by side
     * (the fleet bench trace, 100 VMs of 23 steps, runs about half of them at once at 1024, every
     * one at 4096: on H2 0.58x of the bare behaviour's pipelined rate at 1024, 0.63x at 4096; on
     * PostgreSQL 0.22x and 0.29x). Steps waiting their turn cost a parked virtual thread each.
     */
    public static final int DEFAULT_WINDOW = 4096;

    /** The most steps --window takes. */
    public static final int MAX_WINDOW = 4096;

    private ConcurrentReplay() {
    }

    // what running one step on the actors gave: its outcome and events, or the error it stopped on
    private record Ran(Planned planned, Outcome outcome, List<Emitted> events, RuntimeException error) {
    }

    public static RunReport run(String runId, TraceSource trace, Policies policies, ActorEngine engine, int window,
            boolean failFast, ReplayListener listener) {
        return run(runId, trace, policies, engine, window, failFast, listener, null);
    }

    /**
     * As above, continuing an interrupted run when {@code resume} is not null: the steps its log
     * holds are judged again from the plan without reaching the actors, and a later command the
     * journal already holds is not sent again ({@link ResumePoint}).
     */
    static RunReport run(String runId, TraceSource trace, Policies policies, ActorEngine engine, int window,
            boolean failFast, ReplayListener listener, ResumePoint resume) {
        RunJudge judge = new RunJudge(runId, trace, policies, listener);
        Lookahead ahead = new Lookahead(trace.steps(), policies);
        EntityLanes lanes = new EntityLanes(engine.retryDeadline().multipliedBy(2));
        // fail-fast stops at the first failing step: nothing after it may have run
        int inFlight = failFast ? 1 : window;
        BlockingQueue<Ran> ran = new LinkedBlockingQueue<>();
        TreeMap<Long, Ran> unjudged = new TreeMap<>();
        long nextToJudge = 0;
        boolean interrupted = false;
        boolean stoppedEarly = false;
        RuntimeException failure = null;
        long started = 0;
        int running = 0;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            while (true) {
                boolean stopping = interrupted || stoppedEarly || failure != null;
                if (!stopping && judge.stopRequested()) {
                    interrupted = true;
                    stopping = true;
                }
                while (!stopping && started - nextToJudge < inFlight && ahead.hasNext()) {
                    Planned p = ahead.next();
                    started++;
                    Map<EntityId, Long>[] applied = resume == null ? null : resume.applied(p);
                    if (p.passesThrough()) {
                        unjudged.put(p.index(), new Ran(p, null, null, null));
                        continue;
                    }
                    if (resume != null && p.index() < resume.judged()) {
                        // judged before the run was interrupted: its events are in the journal
                        new PlannedStep(engine, lanes, p).finish();
                        unjudged.put(p.index(), new Ran(p, p.outcome(), PlannedStep.plannedEvents(p), null));
                        continue;
                    }
                    running++;
                    threads.execute(() -> ran.add(runOnActors(p, engine, lanes, applied)));
                }
                while (!unjudged.isEmpty() && unjudged.firstKey() == nextToJudge) {
                    Ran r = unjudged.pollFirstEntry().getValue();
                    nextToJudge++;
                    if (stoppedEarly || failure != null) {
                        continue; // after the step that stopped the run: ran, but not judged
                    }
                    if (r.error() != null) {
                        failure = r.error();
                    } else if (r.planned().passesThrough()) {
                        judge.passedThrough((Step.Ioctl) r.planned().step());
                    } else if (judge.judge(r.planned().step(), r.outcome(), r.events()) && failFast) {
                        stoppedEarly = true;
                    }
                }
                if (running == 0 && (interrupted || stoppedEarly || failure != null || !ahead.hasNext())
                        && unjudged.isEmpty()) {
                    break;
                }
                if (running == 0) {
                    continue; // every step started was judged: start the next ones
                }
                Ran r = take(ran);
                running--;
                unjudged.put(r.planned().index(), r);
            }
        }
        if (failure != null) {
            throw failure;
        }
        return judge.report(stoppedEarly, interrupted);
    }

    // one step's commands on the actors, checked against the reference engine's
    private static Ran runOnActors(Planned p, ActorEngine engine, EntityLanes lanes, Map<EntityId, Long>[] applied) {
        Step step = p.step();
        PlannedStep actors = new PlannedStep(engine, lanes, p, applied);
        try {
            // every reply was checked against the plan, so these are the reference engine's events
            return new Ran(p, p.outcome(), actors.run(), null);
        } catch (RuntimeException e) {
            return new Ran(p, null, null, e);
        } catch (Error e) {
            return new Ran(p, null, null, new IllegalStateException("line " + step.line() + " " + step.op() + ": " + e, e));
        } finally {
            actors.finish();
        }
    }

    private static Ran take(BlockingQueue<Ran> ran) {
        try {
            return ran.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a step", e);
        }
    }
}
