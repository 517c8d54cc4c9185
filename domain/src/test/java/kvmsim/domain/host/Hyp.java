package kvmsim.domain.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.Event;
import kvmsim.domain.host.HostCommand.PkvmCall;
import kvmsim.domain.host.HostEvent.PkvmEvent;

/**
 * The pKVM hypervisor of one host, driven command by command through decide and evolve, as the
 * host entity does: for tests that need its state after every call.
 */
final class Hyp {

    /** A page of the host's RAM (one memblock at 1 GiB). */
    static final long PFN = 0x40100;
    static final long RAM_END_PFN = (HostMemory.RAM_BASE + (4L << 30)) >>> 12;

    PkvmState state;
    final HostMemory memory;
    final List<Event> events = new ArrayList<>();

    Hyp(OwnerEncoding enc) {
        this(enc, 4L << 30);
    }

    Hyp(OwnerEncoding enc, long memoryBytes) {
        this.state = PkvmState.initial(enc);
        this.memory = HostMemory.of(memoryBytes);
    }

    Hyp() {
        this(OwnerEncoding.BITS_8);
    }

    /** Runs the command; returns its errno (null on success) after applying what it persisted. */
    Errno run(HostCommand.PkvmCommand c) {
        Decision d = MemProtect.decide(state, memory, c);
        for (Event e : d.events()) {
            state = state.evolve((PkvmEvent) e);
            events.add(e);
        }
        return d.errno();
    }

    Errno call(Hvc hvc, long pfn, long nr) {
        return run(new PkvmCall(hvc, pfn, nr));
    }

    Errno call(Hvc hvc, long pfn) {
        return call(hvc, pfn, 1);
    }

    Errno shareGuest(long pfn, String vm, long gfn) {
        return run(new HostCommand.ShareGuest(pfn, vm, gfn));
    }

    Errno unshareGuest(String vm, long gfn) {
        return run(new HostCommand.UnshareGuest(vm, gfn));
    }

    Errno setOwner(long addr, long size, long owner) {
        return run(new HostCommand.SetOwner(addr, size, owner));
    }

    /** HOST_MEM_ABORT: true when mapped. */
    boolean abort(long pfn, Access access) {
        return run(new HostCommand.HostMemAbort(pfn, access)) == null;
    }

    /** Why the table breaks P3 (refcount == 1 + counted entries, every table reachable), or null. */
    String refcountProblem() {
        Map<String, Stage2Table> tables = state.hostStage2().tables();
        int reachable = 0;
        for (Stage2Table t : tables.values()) {
            if (t.refcount() != 1 + t.entries().size()) {
                return t.key() + " has refcount " + t.refcount() + " for " + t.entries().size() + " counted entries";
            }
            for (Map.Entry<Integer, Long> e : t.entries().entrySet()) {
                if (KvmPte.table(e.getValue(), t.level())) {
                    reachable++;
                    if (!tables.containsKey(Stage2Table.key(t.level() + 1, t.entryAddr(e.getKey())))) {
                        return t.key() + "[" + e.getKey() + "] points at a freed table";
                    }
                }
            }
        }
        return reachable + 1 == tables.size() ? null : (tables.size() - reachable - 1) + " unreachable tables";
    }
}
