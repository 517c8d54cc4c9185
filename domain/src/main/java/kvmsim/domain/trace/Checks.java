package kvmsim.domain.trace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.host.Folio;
import kvmsim.domain.host.HostPage;
import kvmsim.domain.host.HostState;
import kvmsim.domain.host.PkvmState;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.memslot.Spte;
import kvmsim.domain.vcpu.TlbEntry;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.Gpc;
import kvmsim.domain.vm.VmState;

/** Reads the state a CHECK names. {@code violations} is the auditor's, not an entity's: the engine answers it. */
public final class Checks {

    /** Observed when the selector names nothing: compared like any value, so the CHECK fails and says why. */
    public static final String NO_SUCH_VM = "<no such vm>";
    public static final String NO_SUCH_SLOT = "<no such slot>";
    public static final String NOT_IN_A_MEMSLOT = "<gpa outside every memslot>";
    public static final String NO_SUCH_VCPU = "<no such vcpu>";
    public static final String NO_PKVM = "<host without pkvm>";
    public static final String BEYOND_IPA = "<pfn beyond the host's IPA space>";

    private Checks() {
    }

    public static Outcome observe(Gateway gw, Step.Check c) {
        Map<String, Object> observed = new LinkedHashMap<>();
        for (CheckItem item : c.items()) {
            if (item.key() != CheckKey.VIOLATIONS) {
                observed.put(item.key().traceName, read(gw, c, item.key()));
            }
        }
        return Outcome.observed(observed);
    }

    /** The hypervisor's view of a page: its owner in the host stage-2, the host's and the hyp's state. */
    private static Object readPkvm(HostState host, long pfn, CheckKey key) {
        PkvmState p = host.pkvm();
        if (p == null) {
            return NO_PKVM;
        }
        if (Long.compareUnsigned(pfn, kvmsim.domain.host.KvmPte.IA_LIMIT >>> Pages.PAGE_SHIFT) >= 0) {
            return BEYOND_IPA; // the host stage-2 translates nothing there
        }
        if (key == CheckKey.OWNER) {
            long id = p.owner(pfn);
            return id == PkvmState.ID_HOST ? "host" : id == PkvmState.ID_HYP ? "hyp"
                    : id == PkvmState.ID_GUEST ? "guest" : "<owner id " + id + ">";
        }
        return (key == CheckKey.HOST_STATE ? p.hostState(pfn) : p.hypState(pfn)).name();
    }

    /**
     * The page behind a private gfn of a guest_memfd slot is its folio, which may be gone from the
     * direct map (one never allocated is not gone); every other page is VMM memory, always mapped.
     */
    private static boolean inDirectMap(HostState host, VmState vm, SlotGeometry g, long gfn) {
        if (!g.hasGmem() || !vm.isPrivate(gfn)) {
            return true;
        }
        Folio f = host.gmemFolio(g.gmem(), g.gmemIndex(gfn));
        return f == null || f.directMap();
    }

    private static Object read(Gateway gw, Step.Check c, CheckKey key) {
        if (c.host() != null) {
            return readPkvm(Entity.host(gw, c.host()), c.pfn(), key);
        }
        VmState vm = Entity.vm(gw, c.vm());
        if (!vm.created()) {
            return NO_SUCH_VM;
        }
        return switch (key) {
            case PENDING_OPS -> {
                TreeSet<String> ops = new TreeSet<>();
                vm.pendingOps().forEach(op -> ops.add(op.name()));
                yield ops;
            }
            case CAPS -> new TreeSet<>(vm.caps());
            case LOCKED, DIRTY_LOGGING, DIRTY_PAGES -> {
                MemslotState slot = Entity.slot(gw, c.vm(), c.slot());
                if (!slot.present()) {
                    yield NO_SUCH_SLOT;
                }
                if (key == CheckKey.LOCKED) {
                    yield slot.locked() ? slot.lock().name() : null;
                } else if (key == CheckKey.DIRTY_LOGGING) {
                    yield slot.geometry().logsDirtyPages();
                }
                yield slot.dirtyTracked() ? slot.dirtyBitmap().pages() : List.of();
            }
            case SPTE -> {
                long gfn = Pages.pageOf(c.gpa());
                SlotGeometry g = vm.slotForGfn(gfn);
                if (g == null) {
                    yield NOT_IN_A_MEMSLOT;
                }
                Spte spte = Entity.slot(gw, c.vm(), g.slot()).spte(gfn);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("present", spte != null);
                m.put("writable", spte != null && spte.writable());
                m.put("mmu_writable", spte != null && spte.mmuWritable());
                m.put("host_writable", spte != null && spte.hostWritable());
                m.put("access_tracked", spte != null && spte.accessTracked());
                m.put("level", spte == null ? null : spte.level().traceName);
                yield m;
            }
            case TLB -> {
                VcpuState v = Entity.vcpu(gw, c.vm(), c.vcpu());
                if (!v.created()) {
                    yield NO_SUCH_VCPU;
                }
                TlbEntry e = v.tlbEntry(Pages.pageOf(c.gpa()));
                yield e == null ? null : Map.of("writable", e.writable());
            }
            case PAGE -> {
                long gfn = Pages.pageOf(c.gpa());
                SlotGeometry g = vm.slotForGfn(gfn);
                if (g == null) {
                    yield NOT_IN_A_MEMSLOT;
                }
                HostState host = Entity.host(gw, vm.host());
                HostPage page = host.page(Pages.pageOf(g.gfnToHva(gfn)));
                Map<String, Boolean> m = new LinkedHashMap<>();
                m.put("mte_tagged", page.mteTagged());
                m.put("pinned", page.pins() > 0);
                m.put("direct_map", inDirectMap(host, vm, g, gfn));
                yield m;
            }
            case CACHE -> {
                Gpc gpc = vm.gpc(c.gpc());
                Map<String, Boolean> m = new LinkedHashMap<>();
                m.put("active", gpc.active());
                m.put("valid", gpc.valid());
                yield m;
            }
            // the host selector's keys were read above; violations are the auditor's, read by the engine
            case OWNER, HOST_STATE, HYP_STATE, VIOLATIONS -> throw new IllegalArgumentException(
                    "CHECK " + key.traceName + " needs its own selector");
        };
    }
}
