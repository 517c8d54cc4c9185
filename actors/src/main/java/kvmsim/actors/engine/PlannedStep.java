package kvmsim.actors.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import kvmsim.domain.engine.Lookahead.Planned;
import kvmsim.domain.engine.Lookahead.Send;
import kvmsim.domain.engine.Lookahead.Write;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Reply;

/**
 * One step on the actors while other steps run too: the commands the reference engine's run of
 * its kernel function sent, sent to the entities in that order, each once the one before it was
 * answered (the journal then holds a step's events in the order they happened, which the offline
 * audit relies on) and once everything its entity gets before it is in the entity's mailbox
 * ({@link EntityLanes}); every reply is checked against the reference engine's. The kernel
 * function is not run again on the actors: it is deterministic over the replies, and every reply
 * is checked, so it would send the same commands. What runs on the actors is each entity's own
 * decision, persisted, and the broadcasts between entities. A reply that differs is a bug in
 * kvmsim, reported as such.
 */
final class PlannedStep {

    private final ActorEngine engine;
    private final EntityLanes lanes;
    private final Planned planned;
    // replay --resume: per command, null to send it, or what its entities held before it when the
    // journal holds it already (ResumePoint)
    private final Map<EntityId, Long>[] applied;
    // the commands answered so far: those after them are let through by finish()
    private int answered;

    PlannedStep(ActorEngine engine, EntityLanes lanes, Planned planned) {
        this(engine, lanes, planned, null);
    }

    PlannedStep(ActorEngine engine, EntityLanes lanes, Planned planned, Map<EntityId, Long>[] applied) {
        this.engine = engine;
        this.lanes = lanes;
        this.planned = planned;
        this.applied = applied;
    }

    /** The events the reference engine's run of the step persisted, in order: what run() returns when every reply checks. */
    static List<Emitted> plannedEvents(Planned planned) {
        List<Emitted> events = new ArrayList<>();
        for (Send s : planned.sends()) {
            events.addAll(s.reply().emitted(s.to()));
        }
        return events;
    }

    /** Sends the step's commands and checks their replies; the events they persisted, in order. */
    List<Emitted> run() {
        int line = planned.step().line();
        List<Emitted> events = new ArrayList<>();
        for (Send s : planned.sends()) {
            if (applied != null && applied[answered] != null) {
                // applied before the run was interrupted: not sent again; the journal holds its events
                engine.checkApplied(line, s.to(), s.reply(), applied[answered]);
                events.addAll(s.reply().emitted(s.to()));
                pass(s);
                answered++;
                continue;
            }
            // a command follows the ones before it into the mailbox, without waiting for their answers;
            // on a cluster a node that dies may take several with it, which the driver settles in their
            // order (ActorEngine.settle)
            lanes.awaitIssued(s.to(), s.at().ordinal());
            // a broadcast's receivers get the request from the broadcaster, by another path than the
            // driver's commands (on a cluster, from another node): theirs must be answered first
            s.receivers().forEach((r, at) -> lanes.awaitAnswered(r, at.ordinal()));
            CompletableFuture<Reply> asked = engine.ask(line, s.to(), s.command(), s.persistedBefore());
            lanes.issued(s.to(), s.at().ordinal());
            Reply reply = engine.settle(line, s.to(), s.command(), asked, s.persistedBefore(), new ActorEngine.Expected(
                    s.reply(), s.eventsBefore(), () -> lanes.awaitAnswered(s.to(), s.at().ordinal())));
            if (!reply.equals(s.reply())) {
                throw new IllegalStateException("line " + line + " " + planned.step().op() + ": the actor engine and the "
                        + "reference engine disagree (a bug in kvmsim): " + s.to().path() + " answered " + s.command()
                        + " with " + reply + " on the actors, " + s.reply() + " on the reference engine");
            }
            events.addAll(reply.emitted(s.to()));
            pass(s);
            answered++;
        }
        return events;
    }

    /** The step ended, answered or not: what it did not do no longer holds anyone up. */
    void finish() {
        for (int i = answered; i < planned.sends().size(); i++) {
            pass(planned.sends().get(i));
        }
    }

    private void pass(Send s) {
        pass(s.to(), s.at());
        s.receivers().forEach(this::pass);
    }

    private void pass(EntityId id, Write at) {
        lanes.issued(id, at.ordinal());
        lanes.answered(id, at.ordinal());
    }
}
