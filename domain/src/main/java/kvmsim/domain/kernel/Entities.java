package kvmsim.domain.kernel;

import kvmsim.domain.entity.Decider;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
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

/**
 * The one place that knows which decider serves which entity kind; both engines, the history
 * fold and the entity protocol go through it. A command or event of another kind than its entity
 * is a programming error (a ClassCastException), never a silent no-op.
 */
public final class Entities {

    private Entities() {
    }

    /** The four kinds' deciders as the entity protocol sees them. */
    public static final Decider DECIDER = new Decider() {
        @Override
        public EntityState initial(EntityId id) {
            return Entities.initial(id);
        }

        @Override
        public Decision decide(EntityState state, EntityCommand command) {
            return Entities.decide(state, command);
        }

        @Override
        public EntityState evolve(EntityState state, Recorded recorded) {
            return Entities.evolve(state, recorded);
        }
    };

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
        return switch (s.kind()) {
            case HOST -> HostDecider.decide((HostState) s, (HostCommand) c);
            case VM -> VmDecider.decide((VmState) s, (VmCommand) c);
            case VCPU -> VcpuDecider.decide((VcpuState) s, (VcpuCommand) c);
            case SLOT -> MemslotDecider.decide((MemslotState) s, (MemslotCommand) c);
        };
    }

    public static EntityState evolve(EntityState s, Recorded r) {
        return switch (s.kind()) {
            case HOST -> HostDecider.evolve((HostState) s, (HostEvent) r.event());
            case VM -> VmDecider.evolve((VmState) s, (VmEvent) r.event(), r.line());
            case VCPU -> VcpuDecider.evolve((VcpuState) s, (VcpuEvent) r.event());
            case SLOT -> MemslotDecider.evolve((MemslotState) s, (MemslotEvent) r.event());
        };
    }
}
