package kvmsim.domain.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.testing.DeciderSpec;
import kvmsim.domain.vcpu.VcpuCommand.*;
import kvmsim.domain.vcpu.VcpuEvent.*;
import org.junit.jupiter.api.Test;

/**
 * kvm_make_vcpu_request(KVM_REQ_TLB_FLUSH) as one vCPU decides it (kvm-semantics.md §5.5): a vCPU
 * in guest mode is kicked and flushes now; one outside guest mode keeps the request and services
 * it in vcpu_enter_guest() before it enters. Repeats of a request already answered are pinned
 * down by FlushRequestRepeatTest; these are the rules it leaves out.
 */
class TlbFlushRulesTest {

    private static final EntityId VCPU = EntityId.vcpu("vm0", 0);

    /** In guest mode with translations of gfn 1 (writable) and gfn 2 cached. */
    private static final VcpuEvent[] IN_GUEST = {new VcpuCreated(), new VcpuEnteredGuest(), new TlbFilled(1, true),
            new TlbFilled(2, false)};

    private static DeciderSpec inGuest(VcpuEvent... more) {
        return DeciderSpec.given(VCPU, concat(IN_GUEST, more));
    }

    /** Back in userspace (KVM_RUN returned), still holding the translations it cached. */
    private static DeciderSpec outside(VcpuEvent... more) {
        return DeciderSpec.given(VCPU, concat(concat(IN_GUEST, new VcpuLeftGuest()), more));
    }

    private static VcpuEvent[] concat(VcpuEvent[] a, VcpuEvent... b) {
        VcpuEvent[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static VcpuState st(Object s) {
        return (VcpuState) s;
    }

    @Test
    void aRequestToAVcpuNeverCreatedIsEbadf() {
        DeciderSpec.given(VCPU).when(new TlbFlushRequest(1)).thenErrno(Errno.EBADF);
    }

    // KVM_REQUEST_WAIT: a vCPU not OUTSIDE_GUEST_MODE is kicked, flushes and acknowledges
    @Test
    void inGuestModeTheVcpuFlushesNowAndDropsEveryTranslation() {
        VcpuState s = st(inGuest().when(new TlbFlushRequest(1)).thenEvents(new TlbFlushed(1, 2)));
        assertTrue(s.tlb().isEmpty());
        assertFalse(s.flushPending());
        assertEquals(1, s.flushRequestsSeen());
    }

    @Test
    void outsideGuestModeTheRequestStaysPendingAndTheTlbIsKeptUntilEntry() {
        VcpuState s = st(outside().when(new TlbFlushRequest(1)).thenEvents(new TlbFlushDeferred(1)));
        assertTrue(s.flushPending());
        assertEquals(Map.of(1L, new TlbEntry(true), 2L, new TlbEntry(false)), s.tlb());
    }

    // vcpu_enter_guest(): kvm_check_request(KVM_REQ_TLB_FLUSH) -> kvm_vcpu_flush_tlb_all(), then entry
    @Test
    void vcpuEnterGuestServicesAPendingFlushBeforeEntering() {
        VcpuState s = st(outside(new TlbFlushDeferred(1)).when(new EnterGuest(false))
                .thenEvents(new TlbFlushed(1, 2), new VcpuEnteredGuest()));
        assertTrue(s.tlb().isEmpty());
        assertFalse(s.flushPending());
        assertTrue(s.inGuest());
    }

    @Test
    void entryWithoutAPendingRequestFlushesNothing() {
        VcpuState s = st(outside().when(new EnterGuest(false)).thenEvents(new VcpuEnteredGuest()));
        assertEquals(2, s.tlb().size());
    }

    // the request is a bit: two requests before the next entry are serviced by one flush
    @Test
    void aSecondRequestWhileOneIsPendingIsDeferredTooAndOneFlushServicesBoth() {
        outside(new TlbFlushDeferred(1)).when(new TlbFlushRequest(2)).thenEvents(new TlbFlushDeferred(2));
        VcpuState s = st(outside(new TlbFlushDeferred(1), new TlbFlushDeferred(2)).when(new EnterGuest(false))
                .thenEvents(new TlbFlushed(2, 2), new VcpuEnteredGuest()));
        assertEquals(2, s.flushRequestsSeen());
    }

    @Test
    void anOlderRequestThanThePendingOneChangesNothingAndTheFlushStaysPending() {
        DeciderSpec s = outside(new TlbFlushDeferred(2));
        s.when(new TlbFlushRequest(1)).thenNothing();
        assertTrue(st(s.state()).flushPending());
    }

    // a repeat must not flush what the vCPU cached after it serviced the request
    @Test
    void aRepeatAfterTheDeferredFlushWasServicedKeepsTheNewTranslations() {
        DeciderSpec s = outside(new TlbFlushDeferred(3), new TlbFlushed(3, 2), new VcpuEnteredGuest(),
                new TlbFilled(5, true));
        s.when(new TlbFlushRequest(3)).thenAgain(new TlbFlushDeferred(3));
        assertEquals(Map.of(5L, new TlbEntry(true)), st(s.state()).tlb());
    }

    // ---- being in guest mode ----

    @Test
    void aFailedRunLeavesGuestModeOnlyIfTheVcpuWasInIt() {
        inGuest().when(new RunFailed()).thenEvents(new VcpuLeftGuest());
        outside().when(new RunFailed()).thenNothing();
    }

    @Test
    void aGuestAccessNeedsAVcpuInsideKvmRunAndFillsTheTlbOnlyWithSomethingNew() {
        GuestAccess readGfn2 = new GuestAccess(GuestAccessKind.READ, 0x2000, 0, 0x7f0000002L, GuestExit.NONE, false,
                false, new TlbEntry(false));
        outside().when(readGfn2).thenErrno(Errno.ENOEXEC);
        inGuest().when(readGfn2).thenEvents(new GuestAccessed(GuestAccessKind.READ, 0x2000, 0, 0x7f0000002L,
                GuestExit.NONE, false, false));
        GuestAccess writeGfn2 = new GuestAccess(GuestAccessKind.WRITE, 0x2008, 0, 0x7f0000002L, GuestExit.NONE, true,
                false, new TlbEntry(true));
        VcpuState s = st(inGuest().when(writeGfn2).thenEvents(new TlbFilled(2, true), new GuestAccessed(
                GuestAccessKind.WRITE, 0x2008, 0, 0x7f0000002L, GuestExit.NONE, true, false)));
        assertEquals(new TlbEntry(true), s.tlbEntry(2));
    }
}
