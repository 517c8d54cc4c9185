package kvmsim.domain.explore.trace;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.audit.Auditor;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.explore.Footprint;
import kvmsim.domain.explore.Interleaving;
import kvmsim.domain.explore.Transition;
import kvmsim.domain.kernel.Kernel;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Ops;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vm.VmState;

/**
 * A trace's threads as an {@link Interleaving}: a step runs on a {@link ReferenceEngine} whose entities start in the state's, the
 * auditor judges it after the steps before it on that path, and its findings are the violations it reveals, named
 * {@code invariant@entity}.
 *
 * <h2>Footprints</h2>
 * A step reads every entity its kernel function sends a command to (broadcast receivers included: the entity decides from its
 * state) or reads the state of, and writes every entity that persisted an event. The auditor's facts are one more location per
 * <em>audit domain</em>, a host with its VMs ({@link #domainOf}): every fact the auditor keeps (pages, folios, caches, pKVM
 * ownership, a VM's pending ops and MTE, its vCPUs' TLB fills, its slots' dirty bits) belongs to one host, and a step's findings
 * depend only on the facts of the domains its events fall in. A step with events writes those domains; a step without events
 * reveals nothing (the end-of-step checks only look at what the step's own events touched). So two steps commute when they touch
 * disjoint entities, or only read the same ones, and do not both persist events on one host.
 *
 * <h2>Keys</h2>
 * A state's key is its entity states and the auditor's facts ({@link Auditor#facts()}: which facts hold, not the events and
 * lines that made them, and the invariants found so far): the kernel's next steps read only the first, the auditor's next
 * findings only the second, so equal keys find the same from there on (with chains of their own paths).
 */
public final class TraceInterleaving implements Interleaving<KernelState> {

    private final KernelState initial;
    private final List<ThreadSplit.Thread> threads;
    private final Policies policies;

    public TraceInterleaving(KernelState initial, List<ThreadSplit.Thread> threads, Policies policies) {
        this.initial = initial;
        this.threads = List.copyOf(threads);
        this.policies = policies;
    }

    @Override
    public int threads() {
        return threads.size();
    }

    @Override
    public int length(int thread) {
        return threads.get(thread).steps().size();
    }

    @Override
    public KernelState initial() {
        return initial;
    }

    @Override
    public Transition<KernelState> step(KernelState s, int thread, int index) {
        Outcome run = run(s, threads.get(thread).steps().get(index), policies);
        List<String> findings = new ArrayList<>();
        for (Violation v : run.revealed()) {
            findings.add(finding(v));
        }
        return new Transition<>(run.next(), run.footprint(), findings);
    }

    @Override
    public Object key(KernelState s) {
        return s.key();
    }

    /** How a finding names a violation: the invariant and the entity it was found at. */
    public static String finding(Violation v) {
        return v.invariant() + "@" + v.entity();
    }

    /** One step run from a state: the state after it, what it touched, and the violations it revealed. */
    public record Outcome(KernelState next, Footprint footprint, List<Violation> revealed,
            kvmsim.domain.kernel.Outcome result) {
    }

    /** Runs {@code step} from {@code s}, then audits its events after the path's. */
    public static Outcome run(KernelState s, Step step, Policies policies) {
        ReferenceEngine engine = new ReferenceEngine(s.entities());
        Set<EntityId> read = new HashSet<>();
        List<Emitted> events = new ArrayList<>();
        Gateway recording = new Gateway() {
            @Override
            public Reply send(EntityId to, EntityCommand command) {
                engine.takeDelivered();
                Reply reply = engine.send(step.line(), to, command);
                read.addAll(engine.takeDelivered());
                events.addAll(reply.emitted(to));
                return reply;
            }

            @Override
            public List<Reply> broadcast(List<EntityId> to, EntityCommand command) {
                return Gateway.oneByOne(this, to, command);
            }

            @Override
            public EntityState state(EntityId id) {
                read.add(id);
                return engine.state(id);
            }
        };
        kvmsim.domain.kernel.Outcome result = Ops.apply(new Kernel(recording, policies), step);
        Map<EntityId, EntityState> after = engine.states();
        Set<String> writes = new LinkedHashSet<>();
        for (Emitted e : events) {
            writes.add(location(e.entity()));
            writes.add("audit:" + domainOf(e.entity(), after));
        }
        Set<String> reads = new LinkedHashSet<>();
        read.forEach(id -> reads.add(location(id)));
        // the auditor after the path folds this step's events, as a replay does: what the step revealed, and the facts after it
        Auditor auditor = s.audit().next();
        List<Violation> revealed = new ArrayList<>();
        for (Emitted e : events) {
            revealed.addAll(auditor.observe(e.entity(), e.recorded()));
        }
        revealed.addAll(auditor.endStep(step.line()));
        return new Outcome(s.then(after, auditor), Footprint.of(reads, writes), revealed, result);
    }

    private static String location(EntityId id) {
        return "entity:" + id.path();
    }

    /**
     * The audit domain of an entity: its host. A vCPU's, slot's or VM's host is the one its VM was created on; an entity of a VM
     * not created yet (no events can name its host) is a domain of its own.
     */
    static String domainOf(EntityId id, Map<EntityId, EntityState> entities) {
        if (id.kind() == EntityId.Kind.HOST) {
            return "host/" + id.key();
        }
        int slash = id.key().indexOf('/');
        String vm = slash < 0 ? id.key() : id.key().substring(0, slash);
        if (entities.get(EntityId.vm(vm)) instanceof VmState v && v.host() != null) {
            return "host/" + v.host();
        }
        return "vm/" + vm;
    }
}
