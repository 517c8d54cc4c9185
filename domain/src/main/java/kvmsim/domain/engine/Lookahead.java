package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.kernel.Kernel;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Ops;
import kvmsim.domain.trace.Step;

/**
 * Runs a trace on the reference engine ahead of a slower engine, one step at a time, and says for
 * each step which commands its kernel function sends, in what order, what each entity answers,
 * and where each command falls in the order of everything its entity receives over the run. The
 * slower engine can then send many steps' commands at once and still deliver every entity its
 * commands in trace order, and check every answer against these: both engines decide with the
 * same pure code, so any difference is a bug, not a race.
 *
 * <p>An entity's <em>writes</em> are numbered from 0 over the run: a command the driver sends to
 * it, or a broadcast's request reaching it as a receiver.
 */
public final class Lookahead {

    /** Where a write falls at its entity: its ordinal there. */
    public record Write(long ordinal) {
    }

    /**
     * One command of a step: its entity and place there, the broadcast receivers it reaches with
     * their places, how many events each entity it persisted events at (its own entity always
     * included) had persisted before it, and the reply.
     */
    public record Send(EntityId to, EntityCommand command, Write at, Map<EntityId, Write> receivers,
            Map<EntityId, Long> eventsBefore, Reply reply) {

        public Send {
            receivers = Map.copyOf(receivers);
            eventsBefore = Map.copyOf(eventsBefore);
            if (!eventsBefore.containsKey(to)) {
                throw new IllegalArgumentException("no count of the events before the command for " + to.path());
            }
        }

        /** How many events the command's own entity had persisted before it. */
        public long persistedBefore() {
            return eventsBefore.get(to);
        }
    }

    /** One step as the reference engine ran it: its commands in order (with their replies) and its answer. */
    public record Planned(long index, Step step, List<Send> sends, Outcome outcome) {

        public Planned {
            sends = List.copyOf(sends);
        }

        public boolean passesThrough() {
            return step instanceof Step.Ioctl;
        }
    }

    private final Iterator<Step> steps;
    private final Policies policies;
    private final ReferenceEngine reference = new ReferenceEngine();
    private final Map<EntityId, Long> writes = new HashMap<>();
    private final Map<EntityId, Long> persisted = new HashMap<>();
    private long index;

    public Lookahead(Iterable<Step> steps, Policies policies) {
        this.steps = steps.iterator();
        this.policies = policies;
    }

    public boolean hasNext() {
        return steps.hasNext();
    }

    /** The next step, run on the reference engine. */
    public Planned next() {
        Step step = steps.next();
        if (step instanceof Step.Ioctl) {
            return new Planned(index++, step, List.of(), Outcome.OK);
        }
        List<Send> sends = new ArrayList<>();
        Gateway planning = new Gateway() {
            @Override
            public Reply send(EntityId to, EntityCommand command) {
                Write at = write(to);
                reference.takeDelivered();
                Reply reply = reference.send(step.line(), to, command);
                Map<EntityId, Write> receivers = new HashMap<>();
                for (EntityId r : reference.takeDelivered()) {
                    if (!r.equals(to)) {
                        receivers.put(r, write(r));
                    }
                }
                Map<EntityId, Long> before = new HashMap<>();
                before.put(to, persisted.getOrDefault(to, 0L));
                for (Emitted e : reply.emitted(to)) {
                    before.putIfAbsent(e.entity(), persisted.getOrDefault(e.entity(), 0L));
                }
                for (Emitted e : reply.emitted(to)) {
                    persisted.merge(e.entity(), 1L, Long::sum);
                }
                sends.add(new Send(to, command, at, receivers, before, reply));
                return reply;
            }

            @Override
            public List<Reply> broadcast(List<EntityId> to, EntityCommand command) {
                // as the slower engine runs a planned broadcast: one command after the other
                return Gateway.oneByOne(this, to, command);
            }

            @Override
            public EntityState state(EntityId id) {
                return reference.state(id);
            }
        };
        Outcome out = Ops.apply(new Kernel(planning, policies), step);
        return new Planned(index++, step, sends, out);
    }

    // the entity's next write, counted
    private Write write(EntityId id) {
        return new Write(writes.merge(id, 1L, Long::sum) - 1);
    }
}
