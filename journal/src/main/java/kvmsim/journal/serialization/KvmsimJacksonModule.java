package kvmsim.journal.serialization;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.entity.EntityCommand;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Event;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.host.HostState;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.vcpu.VcpuCommand;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmEvent;
import kvmsim.domain.vm.VmState;
import org.pcollections.TreePMap;

/**
 * Teaches Jackson the domain's polymorphic fields (an event inside {@code Recorded}, a state inside
 * a {@code Reply}, a command inside an envelope) without putting Jackson into domain/: a logical
 * type name per concrete class, taken from the sealed hierarchies, so only the project's own
 * classes can ever be named in a payload. Large state maps are written compactly (CompactStateMaps).
 */
public final class KvmsimJacksonModule extends SimpleModule {

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "@type")
    interface Polymorphic {
    }

    public KvmsimJacksonModule() {
        super("kvmsim");
        setMixInAnnotation(Event.class, Polymorphic.class);
        setMixInAnnotation(EntityState.class, Polymorphic.class);
        setMixInAnnotation(EntityCommand.class, Polymorphic.class);
        for (Class<?> c : concreteTypes()) {
            registerSubtypes(new NamedType(c, logicalName(c)));
        }
        addSerializer(TreePMap.class, new CompactStateMaps.Writer());
    }

    @Override
    public void setupModule(SetupContext context) {
        super.setupModule(context);
        context.addDeserializers(new CompactStateMaps.Finder());
    }

    /** Every concrete class that may stand behind Event, EntityState or EntityCommand. */
    public static List<Class<?>> concreteTypes() {
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> root : List.of(HostEvent.class, VmEvent.class, VcpuEvent.class, MemslotEvent.class,
                HostCommand.class, VmCommand.class, VcpuCommand.class, MemslotCommand.class)) {
            collect(root, out);
        }
        out.addAll(List.of(HostState.class, VmState.class, VcpuState.class, MemslotState.class));
        return out;
    }

    private static void collect(Class<?> c, List<Class<?>> out) {
        if (c.isSealed()) {
            for (Class<?> sub : c.getPermittedSubclasses()) {
                collect(sub, out);
            }
        } else {
            out.add(c);
        }
    }

    /** {@code VmEvent.VmCreated}: stable as long as the class keeps its name. */
    static String logicalName(Class<?> c) {
        Class<?> outer = c.getEnclosingClass();
        return outer == null ? c.getSimpleName() : outer.getSimpleName() + "." + c.getSimpleName();
    }
}
