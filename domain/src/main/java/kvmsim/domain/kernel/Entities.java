package kvmsim.domain.kernel;

import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Event;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostDecider;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.host.HostState;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotDecider;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuDecider;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmDecider;
import kvmsim.domain.vm.VmEvent;
import kvmsim.domain.vm.VmState;

/** The one place that knows which decider serves which entity kind; both engines go through it. */
public final class Entities {

    private Entities() {
    }

    public static EntityState initial(EntityId id) {
        String key = id.key();
        int slash = key.lastIndexOf('/');
        return switch (id.kind()) {
            case HOST -> HostState.initial(key);
            case VM -> VmState.initial(key);
            case VCPU -> VcpuState.initial(key.substring(0, slash), Long.parseLong(key.substring(slash + 1)));
            case SLOT -> MemslotState.initial(key.substring(0, slash), Long.parseLong(key.substring(slash + 1)));
        };
    }

    public static Decision decide(EntityState s, EntityCommand c) {
        if (s instanceof HostState h && c instanceof HostCommand hc) {
            return HostDecider.decide(h, hc);
        } else if (s instanceof VmState v && c instanceof VmCommand vc) {
            return VmDecider.decide(v, vc);
        } else if (s instanceof VcpuState v && c instanceof VcpuCommand vc) {
            return VcpuDecider.decide(v, vc);
        } else if (s instanceof MemslotState m && c instanceof MemslotCommand mc) {
            return MemslotDecider.decide(m, mc);
        }
        throw new IllegalArgumentException(c + " is not a command for " + s.getClass().getSimpleName());
    }

    /** evolve(state, event); the trace line matters only to a VM that starts a broadcast (it resumes with it). */
    public static EntityState evolve(EntityState s, Recorded r) {
        Event e = r.event();
        if (s instanceof HostState h && e instanceof HostEvent he) {
            return HostDecider.evolve(h, he);
        } else if (s instanceof VmState v && e instanceof VmEvent ve) {
            return VmDecider.evolve(v, ve, r.line());
        } else if (s instanceof VcpuState v && e instanceof VcpuEvent ve) {
            return VcpuDecider.evolve(v, ve);
        } else if (s instanceof MemslotState m && e instanceof MemslotEvent me) {
            return MemslotDecider.evolve(m, me);
        }
        throw new IllegalArgumentException(e + " is not an event of " + s.getClass().getSimpleName());
    }

    /** The result of handling one command: the reply, and the state to keep. */
    public record Handled(Reply reply, EntityState state) {
    }

    /** decide, then evolve each event: what both engines do with a command. */
    public static Handled handle(EntityState s, EntityCommand c, int line) {
        Decision d = decide(s, c);
        if (d.rejected() || !d.again().isEmpty()) {
            java.util.List<Recorded> again = new java.util.ArrayList<>();
            d.again().forEach(e -> again.add(new Recorded(line, e)));
            return new Handled(new Reply(d.errno(), s, again), s);
        }
        EntityState next = s;
        java.util.List<Recorded> recorded = new java.util.ArrayList<>();
        for (Event e : d.events()) {
            Recorded r = new Recorded(line, e);
            next = evolve(next, r);
            recorded.add(r);
        }
        return new Handled(new Reply(null, next, recorded), next);
    }
}
