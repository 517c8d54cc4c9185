package kvmsim.domain.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Event;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuEvent;
import kvmsim.domain.vm.PendingOp;
import kvmsim.domain.vm.VmEvent;
import org.junit.jupiter.api.Test;

/**
 * Each invariant over histories where it holds and where it breaks. Some breaks cannot come out of
 * the RFC v5 model (its KVM_RUN always drains first), so they are histories an older or buggy
 * kernel would write: the auditor must catch them in a stored run all the same.
 */
class AuditorTest {

    private static final EntityId VM = EntityId.vm("vm0");
    private static final EntityId VCPU = EntityId.vcpu("vm0", 0);
    private static final EntityId HOST = EntityId.host("host0");
    private static final long PAGE = 0x7f0000000L;

    private final Auditor auditor = new Auditor();
    private int line;

    private List<Violation> at(EntityId id, Event e) {
        return auditor.observe(id, new Recorded(++line, e));
    }

    private void vm(boolean fwb) {
        at(VM, new VmEvent.VmCreated(Arch.ARM64, null, "host0", true, fwb, false, false, 512, 512));
    }

    private List<Violation> access(GuestAccessKind kind) {
        return at(VCPU, new VcpuEvent.GuestAccessed(kind, 0x80000000L, 0, PAGE, GuestExit.NONE, false, null));
    }

    // explore merges states by the facts: which hold, not the lines and events that made them (the chains differ)
    @Test
    void theFactsAreWhatHoldsNotThePathThatMadeIt() {
        Auditor early = new Auditor();
        Auditor late = new Auditor();
        Event created = new VmEvent.VmCreated(Arch.ARM64, null, "host0", true, false, false, false, 512, 512);
        early.observe(VM, new Recorded(1, created));
        late.observe(VM, new Recorded(1, created));
        early.observe(VM, new Recorded(2, new VmEvent.PendingOpsSet(Set.of(PendingOp.FLUSH_DCACHE))));
        late.observe(VM, new Recorded(7, new VmEvent.PendingOpsSet(Set.of(PendingOp.FLUSH_DCACHE))));
        assertEquals(early.facts(), late.facts(), "the same op pending, set at another line");
        List<Violation> a = early.observe(VCPU, new Recorded(3, new VcpuEvent.VcpuEnteredGuest()));
        assertEquals(late.facts(), late.copy().facts(), "a copy has the same facts");
        assertTrue(!early.facts().equals(late.facts()), "a violation found is a fact: " + a);
        List<Violation> b = late.observe(VCPU, new Recorded(9, new VcpuEvent.VcpuEnteredGuest()));
        assertTrue(!a.get(0).chain().equals(b.get(0).chain()), "each keeps the chain of its own path");
        assertEquals(early.facts(), late.facts());
    }

    @Test
    void pendingOpsBeforeEntryBreaksOnlyWhenAnOpThatAppliesIsPending() {
        vm(false);
        at(VM, new VmEvent.PendingOpsSet(Set.of(PendingOp.FLUSH_DCACHE)));
        List<Violation> v = at(VCPU, new VcpuEvent.VcpuEnteredGuest());
        assertEquals(1, v.size());
        assertEquals("pending-ops-before-entry", v.get(0).invariant());
        assertEquals(List.of(2, 3), v.get(0).chain().stream().map(ChainLink::line).toList());

        at(VM, new VmEvent.PendingOpsCleared(Set.of(PendingOp.FLUSH_DCACHE)));
        assertTrue(at(VCPU, new VcpuEvent.VcpuEnteredGuest()).isEmpty());
    }

    @Test
    void sanitiseWithoutMteIsALeakNotAMissedOp() {
        vm(false);
        at(VM, new VmEvent.PendingOpsSet(Set.of(PendingOp.SANITISE_TAGS)));
        List<Violation> v = at(VCPU, new VcpuEvent.VcpuEnteredGuest());
        assertEquals(List.of("pending-op-leak"), v.stream().map(Violation::invariant).toList());
        assertTrue(at(VCPU, new VcpuEvent.VcpuEnteredGuest()).isEmpty(), "one leak is reported once");
    }

    @Test
    void sanitiseWithMteIsAMissedOp() {
        vm(false);
        at(VM, new VmEvent.MteEnabled());
        at(VM, new VmEvent.PendingOpsSet(Set.of(PendingOp.SANITISE_TAGS)));
        assertEquals(List.of("pending-ops-before-entry"),
                at(VCPU, new VcpuEvent.VcpuEnteredGuest()).stream().map(Violation::invariant).toList());
    }

    @Test
    void tagsMustBeSanitisedBeforeAnMteGuestTouchesAPage() {
        vm(false);
        assertTrue(access(GuestAccessKind.READ).isEmpty(), "without MTE tags do not matter");
        at(VM, new VmEvent.MteEnabled());
        assertEquals(List.of("tags-sanitised-before-access"),
                access(GuestAccessKind.READ).stream().map(Violation::invariant).toList());
        at(HOST, new HostEvent.MteTagsSanitised(List.of(PAGE)));
        assertTrue(access(GuestAccessKind.WRITE).isEmpty());
    }

    @Test
    void executingRewrittenCodeAfterAResetNeedsCleanAndInvalidate() {
        vm(false);
        at(HOST, new HostEvent.DcacheCleaned(PAGE << 12, 1));
        assertTrue(access(GuestAccessKind.EXEC).isEmpty());
        at(VCPU, new VcpuEvent.VcpuInitialised(5, 0, true));
        at(HOST, new HostEvent.UserspaceWrote(PAGE << 12, 4096, List.of()));
        List<Violation> v = access(GuestAccessKind.EXEC);
        assertEquals(List.of("icache-coherent-after-reset"), v.stream().map(Violation::invariant).toList());
        assertEquals(3, v.get(0).chain().size(), "the write, the reset, the fetch");

        at(HOST, new HostEvent.UserspaceWrote(PAGE << 12, 4096, List.of()));
        at(HOST, new HostEvent.DcacheCleaned(PAGE << 12, 1));
        assertEquals(1, access(GuestAccessKind.EXEC).size(), "cleaning D alone leaves stale I-cache lines");
        at(HOST, new HostEvent.IcacheInvalidatedAll());
        assertTrue(access(GuestAccessKind.EXEC).isEmpty());
    }

    @Test
    void withFwbOnlyTheIcacheMatters() {
        vm(true);
        at(VCPU, new VcpuEvent.VcpuInitialised(5, 0, true));
        at(HOST, new HostEvent.UserspaceWrote(PAGE << 12, 4096, List.of()));
        assertTrue(access(GuestAccessKind.EXEC).isEmpty(), "never fetched before: no stale lines, data coherent");
        at(HOST, new HostEvent.UserspaceWrote(PAGE << 12, 4096, List.of()));
        assertEquals(1, access(GuestAccessKind.EXEC).size());
    }

    // explore folds each step into a copy of its state's auditor: a copy reports a step's findings in the order its
    // original does, also after a fact map grew and shrank (a hash table copied into a smaller one iterates otherwise)
    @Test
    void aCopyReportsSeveralFindingsOfAStepInTheOriginalsOrder() {
        vm(false);
        at(HOST, new HostEvent.GmemFolioAllocated("gmem0", 0, 0x1234));
        for (int g = 0; g < 200; g++) {
            at(VM, new VmEvent.GpcRefreshed("gpc-" + (g * 7919 % 1000), 0x1000L * g, 1, 0, 0x1234, true));
        }
        List<String> dropped = new java.util.ArrayList<>();
        for (int g = 6; g < 200; g++) {
            dropped.add("gpc-" + (g * 7919 % 1000));
        }
        at(VM, new VmEvent.GpcInvalidated(dropped));
        Auditor copy = auditor.copy();
        Recorded zap = new Recorded(++line, new HostEvent.DirectMapZapped(0x1234));
        List<Violation> fromOriginal = auditor.observe(HOST, zap);
        assertEquals(6, fromOriginal.size(), "one gpc-mapping-broken per cache still holding the pfn");
        assertEquals(fromOriginal, copy.observe(HOST, zap));
    }
}
