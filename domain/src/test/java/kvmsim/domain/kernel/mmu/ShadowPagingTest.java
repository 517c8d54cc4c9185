package kvmsim.domain.kernel.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.host.MmuMode;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.Spte;
import kvmsim.domain.trace.NotModelled;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.TraceRules;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.GuestPte;
import kvmsim.domain.vcpu.VcpuEvent;
import org.junit.jupiter.api.Test;

/**
 * The host's MMU mode on a guest fault: under shadow paging FNAME(protect_clean_gpte) keeps a read
 * fault through a clean gPTE read-only, under TDP the gPTE is never read. Every case runs in a
 * logging slot on a page the VMM wrote, so the host page is writable.
 */
class ShadowPagingTest {

    private static final long LOG = 1;
    private static final long PAGE = 2;
    private static final long GPA = PAGE << 12;
    private static final GuestPte CLEAN = new GuestPte(true, false);
    private static final GuestPte DIRTY = new GuestPte(true, true);
    private static final GuestPte READ_ONLY = new GuestPte(false, true);

    private static X86Run on(MmuMode mmu) {
        HostFeatures f = HostFeatures.defaults(Arch.X86_64).with(HostFeature.MMU, mmu);
        return new X86Run(true, "KVM_X86_DEFAULT_VM", f).vcpus(1).slot(0, LOG, 0, 0x10000).userspaceWrite(GPA, 4096)
                .run(0);
    }

    private static X86Run access(X86Run t, GuestAccessKind kind, GuestPte gpte) {
        return t.step(m -> new Step.GuestAccess(m, "vm0", 0, kind, GPA, kvmsim.domain.vcpu.GuestVia.FAULT, gpte));
    }

    /** The SPTE and dirty pages after {@code kind} through {@code gpte} on a {@code mmu} host. */
    private static MemslotState after(MmuMode mmu, GuestAccessKind kind, GuestPte gpte) {
        X86Run t = access(on(mmu), kind, gpte);
        X86Run.Replayed r = t.replayWith(java.util.Map.of());
        assertEquals(GuestExit.NONE, r.at(t.nextLine() - 1).exit());
        assertTrue(r.violations().isEmpty(), r.violations().toString());
        return (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
    }

    private static void assertMappedWritableAndLogged(MemslotState s, String what) {
        assertTrue(s.spte(PAGE).writable(), what + ": writable SPTE");
        assertEquals(List.of(PAGE), s.dirtyBitmap().pages(), what + ": logged");
    }

    @Test
    void underTdpTheGuestPteChangesNothing() {
        for (GuestPte gpte : List.of(CLEAN, DIRTY, READ_ONLY)) {
            assertMappedWritableAndLogged(after(MmuMode.TDP, GuestAccessKind.READ, gpte), "tdp read " + gpte);
            assertMappedWritableAndLogged(after(MmuMode.TDP, GuestAccessKind.EXEC, gpte), "tdp exec " + gpte);
        }
        assertMappedWritableAndLogged(after(MmuMode.TDP, GuestAccessKind.WRITE, CLEAN), "tdp write clean");
        assertMappedWritableAndLogged(after(MmuMode.TDP, GuestAccessKind.WRITE, DIRTY), "tdp write dirty");
    }

    @Test
    void underShadowAReadThroughACleanGpteMapsReadOnlyAndLogsNothing() {
        for (GuestAccessKind kind : List.of(GuestAccessKind.READ, GuestAccessKind.EXEC)) {
            for (GuestPte gpte : List.of(CLEAN, READ_ONLY, new GuestPte(false, false))) {
                MemslotState s = after(MmuMode.SHADOW, kind, gpte);
                assertEquals(new Spte(false, false, true, false), s.spte(PAGE), kind + " " + gpte);
                assertTrue(s.dirtyBitmap().isEmpty(), kind + " " + gpte + ": nothing logged");
            }
        }
    }

    @Test
    void underShadowAReadThroughADirtyWritableGpteMapsWritableAndLogs() {
        assertMappedWritableAndLogged(after(MmuMode.SHADOW, GuestAccessKind.READ, DIRTY), "shadow read dirty");
        assertMappedWritableAndLogged(after(MmuMode.SHADOW, GuestAccessKind.READ, GuestPte.WRITABLE_DIRTY),
                "shadow read, no gpte given");
    }

    @Test
    void underShadowAWriteSetsDAndMapsWritableAndLogs() {
        assertMappedWritableAndLogged(after(MmuMode.SHADOW, GuestAccessKind.WRITE, CLEAN), "shadow write clean");
        assertMappedWritableAndLogged(after(MmuMode.SHADOW, GuestAccessKind.WRITE, DIRTY), "shadow write dirty");
    }

    /** The probe's guest_clean_ptes case: read (nothing logged), GET, write (faults again, logged), GET. */
    @Test
    void underShadowTheWriteAfterACleanReadFaultsAgainAndIsLogged() {
        X86Run t = access(on(MmuMode.SHADOW), GuestAccessKind.READ, CLEAN).getDirtyLog(0);
        int write = t.nextLine();
        access(t, GuestAccessKind.WRITE, CLEAN);
        X86Run.Replayed r = t.replayWith(java.util.Map.of());
        assertEquals(GuestExit.NONE, r.at(write).exit());
        List<VcpuEvent.GuestAccessed> accesses = X86Run.eventsOf(r, "vcpu/vm0/0").stream()
                .filter(e -> e instanceof VcpuEvent.GuestAccessed).map(e -> (VcpuEvent.GuestAccessed) e).toList();
        assertEquals(List.of(GuestAccessKind.READ, GuestAccessKind.WRITE), accesses.stream().map(a -> a.kind()).toList());
        assertEquals(Boolean.FALSE, accesses.get(1).tlbHit(), "the read cached a read-only translation");
        assertTrue(accesses.get(1).faulted(), "the write faults on the read-only SPTE");
        MemslotState s = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertMappedWritableAndLogged(s, "after the write");
        assertTrue(r.violations().isEmpty(), r.violations().toString());
    }

    @Test
    void underShadowAHostReadOnlyPageStaysReadOnlyThroughADirtyGpte() {
        HostFeatures f = HostFeatures.defaults(Arch.X86_64).with(HostFeature.MMU, MmuMode.SHADOW);
        // page 5 was never written: the read maps the zero page, whatever the gPTE allows
        X86Run t = new X86Run(true, "KVM_X86_DEFAULT_VM", f).vcpus(1).slot(0, LOG, 0, 0x10000).run(0)
                .step(m -> new Step.GuestAccess(m, "vm0", 0, GuestAccessKind.READ, 0x5000,
                        kvmsim.domain.vcpu.GuestVia.FAULT, DIRTY));
        t.replayWith(java.util.Map.of());
        MemslotState s = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertFalse(s.spte(5).writable());
        assertTrue(s.dirtyBitmap().isEmpty());
    }

    @Test
    void accWriteIsAllUnderTdpAndTheGpteUnderShadow() {
        GuestPte readOnlyClean = new GuestPte(false, false);
        for (GuestPte g : List.of(CLEAN, DIRTY, READ_ONLY, readOnlyClean)) {
            for (boolean write : List.of(false, true)) {
                assertTrue(PageFault.accWrite(MmuMode.TDP, g, write), "tdp " + g + " write=" + write);
            }
        }
        // FNAME(protect_clean_gpte): a read through a writable gPTE whose D bit is clear maps the page
        // read-only, so that the guest's first write faults and sets D; without W it is never writable
        assertFalse(PageFault.accWrite(MmuMode.SHADOW, CLEAN, false));
        assertTrue(PageFault.accWrite(MmuMode.SHADOW, CLEAN, true));
        assertTrue(PageFault.accWrite(MmuMode.SHADOW, DIRTY, false));
        assertTrue(PageFault.accWrite(MmuMode.SHADOW, DIRTY, true));
        assertFalse(PageFault.accWrite(MmuMode.SHADOW, READ_ONLY, false));
        assertFalse(PageFault.accWrite(MmuMode.SHADOW, READ_ONLY, true));
        assertFalse(PageFault.accWrite(MmuMode.SHADOW, readOnlyClean, false));
        assertFalse(PageFault.accWrite(MmuMode.SHADOW, readOnlyClean, true));
    }

    @Test
    void aWriteThroughAGpteWithoutWIsNotModelled() {
        X86Run t = access(on(MmuMode.SHADOW), GuestAccessKind.WRITE, READ_ONLY);
        int line = t.nextLine() - 1;
        List<NotModelled> n = TraceRules.notModelledIn(t.steps());
        assertEquals(1, n.size(), n.toString());
        assertEquals(line, n.get(0).line());
        assertTrue(n.get(0).reason().contains("gPTE without W"), n.get(0).reason());
        // a read through it is modelled
        assertTrue(TraceRules.notModelledIn(access(on(MmuMode.SHADOW), GuestAccessKind.READ, READ_ONLY).steps())
                .isEmpty());
    }
}
