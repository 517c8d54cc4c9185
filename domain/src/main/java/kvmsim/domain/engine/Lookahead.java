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
 * each step which commands it sends and which states its kernel code reads, in what order, and
 * where each falls in the order of everything its entity sees over the run. The slower engine can
 * then let many steps run at once and still deliver every entity its commands in trace order,
 * with every read seeing the entity as it was at that point of the trace; and it can check its own
 * answers against these: both engines decide with the same pure code, so any difference is a bug,
 * not a race.
 *
 * <p>An entity's <em>writes</em> are numbered from 0 over the run: a command the driver sends to
 * it, or a broadcast's request reaching it as a receiver. A read falls between two writes: it
 * comes after write {@code n - 1} and before write {@code n}, which must wait for it. Reads
 * between the same two writes need not wait for each other.
 */
public final class Lookahead {

    /**
     * Where a write falls at its entity: its ordinal, and how many reads between the previous
     * write and it come first.
     */
    public record Write(long ordinal, long readsBefore) {
    }

    /**
     * One command of a step: its entity and place there, the broadcast receivers it reaches with
     * their places, how many events its entity had persisted before it, and the reply.
     */
    public record Send(EntityId to, EntityCommand command, Write at, Map<EntityId, Write> receivers,
            long persistedBefore, Reply reply) {

        public Send {
            receivers = Map.copyOf(receivers);
        }
    }

    /** A read of an entity's state by a step's kernel code, before its write {@code beforeWrite}. */
    public record Read(EntityId id, long beforeWrite) {
    }

    /** One step as the reference engine ran it: its commands and its reads, each in order, its answer and events. */
    public record Planned(long index, Step step, List<Send> sends, List<Read> reads, Outcome outcome,
            List<Emitted> events) {

        public Planned {
            sends = List.copyOf(sends);
            reads = List.copyOf(reads);
            events = List.copyOf(events);
        }

        public boolean passesThrough() {
            return step instanceof Step.Ioctl;
        }
    }

    // per entity: writes so far, and reads since the last write
    private record Place(long writes, long reads) {
    }

    private final Iterator<Step> steps;
    private final Policies policies;
    private final ReferenceEngine reference = new ReferenceEngine();
    private final Map<EntityId, Place> places = new HashMap<>();
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
            return new Planned(index++, step, List.of(), List.of(), Outcome.OK, List.of());
        }
        List<Emitted> events = new ArrayList<>();
        List<Send> sends = new ArrayList<>();
        List<Read> reads = new ArrayList<>();
        Gateway recording = Replay.gateway(reference, step.line(), events);
        Gateway planning = new Gateway() {
            @Override
            public Reply send(EntityId to, EntityCommand command) {
                Write at = write(to);
                long before = persisted.getOrDefault(to, 0L);
                reference.takeDelivered();
                Reply reply = recording.send(to, command);
                Map<EntityId, Write> receivers = new HashMap<>();
                for (EntityId r : reference.takeDelivered()) {
                    if (!r.equals(to)) {
                        receivers.put(r, write(r));
                    }
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
                List<Reply> replies = new ArrayList<>();
                for (EntityId id : to) {
                    replies.add(send(id, command));
                }
                return replies;
            }

            @Override
            public EntityState state(EntityId id) {
                Place p = places.getOrDefault(id, new Place(0, 0));
                places.put(id, new Place(p.writes(), p.reads() + 1));
                reads.add(new Read(id, p.writes()));
                return recording.state(id);
            }
        };
        Outcome out = Ops.apply(new Kernel(planning, policies), step);
        return new Planned(index++, step, sends, reads, out, events);
    }

    // the entity's next write, counted
    private Write write(EntityId id) {
        Place p = places.getOrDefault(id, new Place(0, 0));
        places.put(id, new Place(p.writes() + 1, 0));
        return new Write(p.writes(), p.reads());
    }
}
