package kvmsim.actors.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import kvmsim.domain.engine.Engine;
import kvmsim.domain.engine.Lookahead.Planned;
import kvmsim.domain.engine.Lookahead.Read;
import kvmsim.domain.engine.Lookahead.Send;
import kvmsim.domain.engine.Lookahead.Write;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Reply;

/**
 * One step's view of the actor engine while other steps run too. Its kernel code sends the
 * commands and reads the states the reference engine's run of the step planned, in that order,
 * and gets the replies it planned (anything else is a bug, reported at once). Each command waits
 * until everything its entity sees before it is sent ({@link EntityLanes}), and its reply is
 * folded into the driver's copy of the entity's state after theirs; a read waits until the writes
 * before it were folded. A command that starts a broadcast also waits until its receivers answered
 * what they got before (the request reaches them from the broadcaster, by another path than the
 * driver's commands), and holds them until it is answered.
 */
final class PlannedStep implements Engine {

    private final ActorEngine engine;
    private final EntityLanes lanes;
    private final Planned planned;
    private int nextSend;
    private int nextRead;
    // a command started and not through both gates: let through when the step ends
    private Send unfinished;

    PlannedStep(ActorEngine engine, EntityLanes lanes, Planned planned) {
        this.engine = engine;
        this.lanes = lanes;
        this.planned = planned;
    }

    @Override
    public Reply send(int line, EntityId to, EntityCommand command) {
        List<Send> sends = planned.sends();
        if (nextSend >= sends.size() || !sends.get(nextSend).to().equals(to)
                || !sends.get(nextSend).command().equals(command)) {
            throw diverged("sent " + command + " to " + to.path() + " where the reference engine sent " + (nextSend
                    < sends.size() ? sends.get(nextSend).command() + " to " + sends.get(nextSend).to().path()
                    : "nothing more"));
        }
        Send s = sends.get(nextSend++);
        unfinished = s;
        lanes.awaitSendable(to, s.at());
        s.receivers().forEach(lanes::awaitAnswered);
        CompletableFuture<Reply> asked = engine.ask(line, to, s.command(), s.persistedBefore());
        lanes.issued(to, s.at().ordinal());
        Reply reply = engine.settle(line, to, s.command(), asked, s.persistedBefore());
        if (!reply.equals(s.reply())) {
            throw diverged("got " + reply + " from " + to.path() + " for " + s.command() + " where the reference engine "
                    + "got " + s.reply());
        }
        lanes.awaitFolded(to, s.at().ordinal());
        s.receivers().forEach((r, at) -> lanes.awaitFolded(r, at.ordinal()));
        engine.account(to, reply);
        passBoth(s);
        unfinished = null;
        return reply;
    }

    @Override
    public List<Reply> broadcast(int line, List<EntityId> to, EntityCommand command) {
        List<Reply> replies = new ArrayList<>();
        for (EntityId id : to) {
            replies.add(send(line, id, command)); // planned one after the other (Lookahead)
        }
        return replies;
    }

    @Override
    public EntityState state(EntityId id) {
        List<Read> reads = planned.reads();
        if (nextRead >= reads.size() || !reads.get(nextRead).id().equals(id)) {
            throw diverged("read " + id.path() + " where the reference engine read " + (nextRead < reads.size()
                    ? reads.get(nextRead).id().path() : "nothing more"));
        }
        Read r = reads.get(nextRead++);
        lanes.awaitFolded(id, r.beforeWrite());
        EntityState state = engine.state(id);
        lanes.read(id, r.beforeWrite());
        return state;
    }

    /** The step ended, answered or not: what it did not do no longer holds anyone up. */
    void finish() {
        if (unfinished != null) {
            passBoth(unfinished);
        }
        for (int i = nextSend; i < planned.sends().size(); i++) {
            passBoth(planned.sends().get(i));
        }
        for (int i = nextRead; i < planned.reads().size(); i++) {
            lanes.read(planned.reads().get(i).id(), planned.reads().get(i).beforeWrite());
        }
    }

    private void passBoth(Send s) {
        pass(s.to(), s.at());
        s.receivers().forEach(this::pass);
    }

    private void pass(EntityId id, Write at) {
        lanes.issued(id, at.ordinal());
        lanes.folded(id, at.ordinal());
    }

    private IllegalStateException diverged(String what) {
        return new IllegalStateException("line " + planned.step().line() + " " + planned.step().op() + ": the actor "
                + "engine and the reference engine disagree (a bug in kvmsim): on the actors the step " + what);
    }
}
