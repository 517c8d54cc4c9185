package kvmsim.domain.audit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.host.HostStage2;
import kvmsim.domain.host.KvmPte;
import kvmsim.domain.host.OwnerEncoding;
import kvmsim.domain.host.PkvmState;

/**
 * The pKVM invariants (design.md; kvm-semantics.md 4.3), from the host's events alone:
 * <ul>
 * <li>pte-owner-range: the owner a set_owner call wrote into the PTE is the id it was given (an id
 * that does not fit the owner field, or the C parameter, is written as someone else);</li>
 * <li>pkvm-ownership: after every step, the owner the host stage-2 records for each page it touched
 * is the owner the last set_owner gave it, and a valid host mapping covers only host pages. A
 * block split or an unmap that drops another owner's annotation breaks it; so does a host
 * abort that then maps such a page.</li>
 * </ul>
 * It keeps its own replica of the hypervisor's state, rebuilt from the events, so it needs no
 * policy: the owner encoding travels in the events.
 */
final class PkvmAudit {

    /** An owner other than the host over [start, end), and the event that gave it. */
    private record Owned(long end, long owner, ChainLink since) {
    }

    private static final class HostFacts {
        PkvmState pkvm;
        final TreeMap<Long, Owned> owners = new TreeMap<>(); // by start; gaps are the host's
        final List<Touched> touched = new ArrayList<>();

        HostFacts copy() {
            HostFacts c = new HostFacts();
            c.pkvm = pkvm;
            c.owners.putAll(owners);
            c.touched.addAll(touched);
            return c;
        }
    }

    /** A range a step changed, and the event that changed it. */
    private record Touched(long start, long end, ChainLink by) {
    }

    private final DirtyLogAudit.Reporter reporter;
    private final Map<String, HostFacts> hosts = new LinkedHashMap<>();

    // Auditor#facts(); what a step touched is only kept until the step ends
    Object facts() {
        Map<String, List<Object>> image = new HashMap<>();
        hosts.forEach((host, f) -> {
            Map<Long, List<Long>> owners = new TreeMap<>();
            f.owners.forEach((start, o) -> owners.put(start, List.of(o.end(), o.owner())));
            image.put(host, java.util.Arrays.asList(f.pkvm, owners));
        });
        return image;
    }

    PkvmAudit(DirtyLogAudit.Reporter reporter) {
        this.reporter = reporter;
    }

    // Auditor#copy(): the pKVM state and ownership records are values, shared
    void copyInto(PkvmAudit to) {
        hosts.forEach((host, f) -> to.hosts.put(host, f.copy()));
    }

    void hostEvent(EntityId host, HostEvent e, ChainLink link, int line) {
        if (e instanceof HostEvent.HostDeclared d && d.pkvmOwnerBits() != null) {
            HostFacts f = new HostFacts();
            f.pkvm = PkvmState.initial(OwnerEncoding.ofBits(d.pkvmOwnerBits()));
            hosts.put(host.key(), f);
            return;
        }
        HostFacts f = hosts.get(host.key());
        if (!(e instanceof HostEvent.PkvmEvent p) || f == null) {
            return;
        }
        f.pkvm = f.pkvm.evolve(p);
        if (e instanceof HostEvent.PkvmOwnerSet o) {
            long written = OwnerEncoding.ofBits(o.ownerBits()).owner(o.annotation());
            if (written != o.ownerId()) {
                reporter.report(Invariant.PTE_OWNER_RANGE, host, line, "owner id " + Long.toUnsignedString(o.ownerId())
                        + " written as " + written + " " + link, List.of(link));
            }
            long start = o.addr() & ~4095L;
            long end = (start + o.size() + 4095) & ~4095L;
            if (Long.compareUnsigned(end, start) > 0) {
                own(f, start, end, written, link);
                f.touched.add(new Touched(start, end, link));
            }
        } else if (e instanceof HostEvent.HostStage2PteWritten w) {
            f.touched.add(new Touched(w.addr(), w.addr() + KvmPte.granule(w.level()), link));
        }
    }

    /** The owners recorded by the last set_owner over [start, end). */
    private static void own(HostFacts f, long start, long end, long owner, ChainLink link) {
        Map.Entry<Long, Owned> before = f.owners.lowerEntry(start);
        if (before != null && before.getValue().end() > start) {
            Owned b = before.getValue();
            f.owners.put(before.getKey(), new Owned(start, b.owner(), b.since()));
            if (b.end() > end) {
                f.owners.put(end, new Owned(b.end(), b.owner(), b.since()));
            }
        }
        for (Map.Entry<Long, Owned> in : new ArrayList<>(f.owners.subMap(start, end).entrySet())) {
            f.owners.remove(in.getKey());
            if (in.getValue().end() > end) {
                f.owners.put(end, in.getValue());
            }
        }
        if (owner != PkvmState.ID_HOST) {
            f.owners.put(start, new Owned(end, owner, link));
        }
    }

    void endStep(int line) {
        hosts.forEach((host, f) -> {
            for (Touched t : f.touched) {
                check(EntityId.host(host), f, t, line);
            }
            f.touched.clear();
        });
    }

    /** A run of pages whose recorded owner is not the owner the transitions gave them. */
    private record Mismatch(long start, long end, long owner, long recorded, boolean mapped, ChainLink since) {
        boolean continues(Mismatch m) {
            return end == m.start && owner == m.owner && recorded == m.recorded && mapped == m.mapped;
        }
    }

    // every leaf over the touched range against the owners the transitions gave; adjacent pages
    // wrong in the same way are one violation
    private void check(EntityId host, HostFacts f, Touched t, int line) {
        HostStage2 table = f.pkvm.hostStage2();
        OwnerEncoding enc = f.pkvm.encoding();
        List<Mismatch> found = new ArrayList<>();
        long addr = t.start();
        while (Long.compareUnsigned(addr, t.end()) < 0) {
            HostStage2.Leaf leaf = table.leaf(addr);
            long leafEnd = leaf.start(addr) + KvmPte.granule(leaf.level());
            long to = Long.compareUnsigned(leafEnd, t.end()) < 0 ? leafEnd : t.end();
            boolean mapped = KvmPte.valid(leaf.pte());
            long recorded = mapped ? PkvmState.ID_HOST : enc.owner(leaf.pte());
            compare(f, addr, to, recorded, mapped, found);
            addr = to;
        }
        List<Mismatch> merged = new ArrayList<>();
        for (Mismatch m : found) {
            Mismatch last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && last.continues(m)) {
                merged.set(merged.size() - 1, new Mismatch(last.start, m.end, m.owner, m.recorded, m.mapped,
                        last.since));
            } else {
                merged.add(m);
            }
        }
        for (Mismatch m : merged) {
            String what = m.mapped ? "the host maps pages of owner " + m.owner
                    : "the host stage-2 records owner " + m.recorded + " for pages of owner " + m.owner;
            List<ChainLink> chain = new ArrayList<>();
            if (m.since != null) {
                chain.add(m.since);
            }
            chain.add(t.by());
            reporter.report(Invariant.PKVM_OWNERSHIP, host, line,
                    what + " [" + KvmPte.hex(m.start) + ", " + KvmPte.hex(m.end) + ")", chain);
        }
    }

    private static void compare(HostFacts f, long from, long to, long recorded, boolean mapped, List<Mismatch> out) {
        long addr = from;
        while (addr < to) {
            Map.Entry<Long, Owned> at = f.owners.floorEntry(addr);
            long owner;
            long segEnd;
            ChainLink since = null;
            if (at != null && at.getValue().end() > addr) {
                owner = at.getValue().owner();
                segEnd = Math.min(at.getValue().end(), to);
                since = at.getValue().since();
            } else {
                Long next = f.owners.higherKey(addr);
                owner = PkvmState.ID_HOST;
                segEnd = next == null ? to : Math.min(next, to);
            }
            if (owner != recorded) {
                out.add(new Mismatch(addr, segEnd, owner, recorded, mapped, since));
            }
            addr = segEnd;
        }
    }
}
