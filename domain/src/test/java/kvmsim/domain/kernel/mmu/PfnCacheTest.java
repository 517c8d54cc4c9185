package kvmsim.domain.kernel.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.audit.Auditor;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.host.Folio;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.host.HostState;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step.GpcStepKind;
import kvmsim.domain.vm.Gpc;
import kvmsim.domain.vm.VmState;
import org.junit.jupiter.api.Test;

/** The gfn_to_pfn cache state machine of pfncache.c, and the three gpc-direct-map policies of seed 001. */
class PfnCacheTest {

    private static final long GUEST_MEMFD = 4;
    private static final long NO_DIRECT_MAP = 4;
    private static final long PRIVATE = 1L << 3;

    /** Four private pages of a NO_DIRECT_MAP guest_memfd, and four shared pages of VMM memory. */
    static X86Run privatePages() {
        return X86Run.swProtected().createGmem("g0", 0x4000, NO_DIRECT_MAP).region2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0)
                .attributes(0, 0x4000, PRIVATE).slot(1, 0, 0x100000, 0x4000);
    }

    private static X86Run.Replayed replay(X86Run t, String policy) {
        return t.replayWith(Map.of(Policies.GPC_DIRECT_MAP, policy));
    }

    private static Gpc gpc(X86Run t, String id) {
        return ((VmState) t.engine().state(EntityId.vm("vm0"))).gpc(id);
    }

    private static Folio folio(X86Run t, long index) {
        return ((HostState) t.engine().state(EntityId.host("host0"))).gmemFolio("g0", index);
    }

    @Test
    void activateRefreshDeactivateFollowTheStateMachine() {
        X86Run t = privatePages();
        int tooLong = t.nextLine();
        t.gpcActivate("c", 0x100ff8, 16);
        int inactive = t.nextLine();
        t.gpc("c", GpcStepKind.REFRESH);
        int access = t.nextLine();
        t.gpc("c", GpcStepKind.ACCESS);
        int noSlot = t.nextLine();
        t.gpcActivate("c", 0x900000, 8);
        X86Run.Replayed r = replay(t, "refcounted");
        assertEquals(Errno.EINVAL, r.at(tooLong).errno(), "the access must fit in one page");
        assertEquals(Errno.EINVAL, r.at(inactive).errno());
        assertEquals(Errno.EINVAL, r.at(access).errno());
        assertEquals(Errno.EFAULT, r.at(noSlot).errno());
        assertTrue(gpc(t, "c").active(), "active before the refresh that failed");
        assertFalse(gpc(t, "c").valid());

        int ok = t.nextLine();
        t.gpcActivate("c", 0x101000, 8);
        t.invalidate(0x101000, 4096);
        r = replay(t, "refcounted");
        assertNull(r.at(ok).errno());
        assertFalse(gpc(t, "c").valid(), "the MMU notifier invalidated it");
        assertTrue(gpc(t, "c").mapped(), "but it keeps its mapping until a refresh replaces it");
        int again = t.nextLine();
        t.gpc("c", GpcStepKind.ACCESS);
        r = replay(t, "refcounted");
        assertNull(r.at(again).errno());
        assertTrue(gpc(t, "c").valid(), "the access refreshed it");

        // a memslot change bumps the generation: the next access retranslates, and fails without a slot
        int gone = t.nextLine();
        t.slot(1, 0, 0x100000, 0).gpc("c", GpcStepKind.ACCESS).gpc("c", GpcStepKind.DEACTIVATE);
        r = replay(t, "refcounted");
        assertEquals(Errno.EFAULT, r.at(gone + 1).errno());
        assertNull(r.at(gone + 2).errno());
        assertEquals(new Gpc(false, false, 0x101000, 8, gpc(t, "c").generation(), Gpc.KVM_HVA_ERR_BAD,
                Gpc.KVM_PFN_ERR_FAULT, false), gpc(t, "c"));
    }

    @Test
    void aSharedPageTheVmmNeverMappedFailsTheRefreshWithEfault() {
        // once a trace has MMAP steps, VMM memory outside them is unmapped: hva_to_pfn() faults
        X86Run t = new X86Run(true)
                .step(m -> new kvmsim.domain.trace.Step.Mmap(m, "host0", X86Run.HVA, 0x1000, false, false))
                .slot(0, 0, 0, 0x4000);
        int mapped = t.nextLine();
        t.gpcActivate("c", 0x0, 8).gpcActivate("d", 0x2000, 8);
        X86Run.Replayed r = replay(t, "refcounted");
        assertNull(r.at(mapped).errno());
        assertEquals(Errno.EFAULT, r.at(mapped + 1).errno());
        assertFalse(gpc(t, "d").valid());
        assertTrue(gpc(t, "d").active());
    }

    /** Two caches on one private page, A then B, then A lets go and B is used: map(A) map(B) unmap(A) read(B). */
    private static X86Run twoCachesOnePage() {
        return privatePages().gpcActivate("A", 0x2000, 32).gpcActivate("B", 0x2020, 32)
                .gpc("A", GpcStepKind.DEACTIVATE).gpc("B", GpcStepKind.ACCESS);
    }

    @Test
    void refcountedKeepsThePageMappedUntilTheLastCacheLetsGo() {
        X86Run t = twoCachesOnePage();
        X86Run.Replayed r = replay(t, "refcounted");
        assertTrue(r.violations().isEmpty(), r.violations().toString());
        assertTrue(folio(t, 2).directMap());
        assertEquals(1, folio(t, 2).mapCount());
        assertEquals(1, X86Run.eventsOf(r, "host/host0").stream()
                .filter(e -> e instanceof HostEvent.DirectMapRestored).count(), "restored once, for A");
        t.gpc("B", GpcStepKind.DEACTIVATE);
        replay(t, "refcounted");
        assertFalse(folio(t, 2).directMap());
        assertTrue(folio(t, 2).pgPrivate());
        assertEquals(0, folio(t, 2).mapCount());
    }

    @Test
    void exclusiveRefusesTheSecondCacheWithEfault() {
        X86Run t = privatePages().gpcActivate("A", 0x2000, 32);
        int second = t.nextLine();
        t.gpcActivate("B", 0x2020, 32).gpc("B", GpcStepKind.ACCESS).gpc("A", GpcStepKind.DEACTIVATE)
                .gpc("B", GpcStepKind.ACCESS);
        X86Run.Replayed r = replay(t, "exclusive");
        assertEquals(Errno.EFAULT, r.at(second).errno(), "gpc_map() -EINVAL makes the refresh fail");
        assertEquals(Errno.EFAULT, r.at(second + 1).errno());
        assertNull(r.at(second + 3).errno(), "A let go: B may map the page now");
        assertTrue(gpc(t, "B").valid());
        assertTrue(folio(t, 2).directMap());
        assertTrue(r.violations().isEmpty(), r.violations().toString());
    }

    @Test
    void uncheckedShowsTheBoomTheGuardPrevents() {
        X86Run t = twoCachesOnePage();
        int unmapA = t.nextLine() - 2;
        X86Run.Replayed r = replay(t, "unchecked");
        List<Violation> v = r.violations();
        assertEquals(List.of("gpc-mapping-broken", "direct-map-access"), v.stream().map(Violation::invariant).toList());
        assertEquals("vm/vm0", v.get(0).entity());
        assertEquals(unmapA, v.get(0).line());
        assertTrue(v.get(0).chain().get(0).event().toString().startsWith("GpcRefreshed[gpc=B"), v.get(0).chain().toString());
        assertTrue(v.get(0).chain().get(1).event().toString().startsWith("DirectMapZapped"), v.get(0).chain().toString());
        assertEquals("host/host0", v.get(1).entity());
        assertEquals(unmapA + 1, v.get(1).line());
        assertTrue(gpc(t, "B").valid(), "B still believes its mapping");
        assertFalse(folio(t, 2).directMap());
    }

    @Test
    void kvmReadGuestLeavesAPageACacheHoldsAlone() {
        X86Run t = privatePages().gpcActivate("A", 0x2000, 32).kvmCopy(0x2000, 8, false);
        X86Run.Replayed r = replay(t, "refcounted");
        List<Object> events = X86Run.eventsOf(r, "host/host0");
        List<Object> tail = events.subList(events.size() - 3, events.size());
        assertEquals(List.of(HostEvent.FolioLocked.class, HostEvent.KernelAccessedFolio.class,
                HostEvent.FolioUnlocked.class), tail.stream().map(Object::getClass).toList(),
                "PG_private is clear: no restore, no zap");
        assertTrue(folio(t, 2).directMap());
    }

    @Test
    void theAuditorCatchesADirectMapChangeWithoutTheFolioLock() {
        // the model never does it; a journal from elsewhere might: G4 is checked from the events alone
        Auditor a = new Auditor();
        EntityId host = EntityId.host("h");
        a.observe(host, new Recorded(1, new HostEvent.GmemFolioAllocated("g", 0, 7)));
        a.observe(host, new Recorded(1, new HostEvent.FolioUnlocked(7)));
        List<Violation> v = a.observe(host, new Recorded(2, new HostEvent.DirectMapZapped(7)));
        assertEquals(1, v.size());
        assertEquals("direct-map-access", v.get(0).invariant());
        assertEquals(2, v.get(0).line());
        a.observe(host, new Recorded(3, new HostEvent.FolioLocked(7)));
        assertTrue(a.observe(host, new Recorded(3, new HostEvent.DirectMapRestored(7))).isEmpty(), "locked: fine");
    }
}
