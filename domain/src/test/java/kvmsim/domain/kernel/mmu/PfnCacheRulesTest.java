package kvmsim.domain.kernel.mmu;

import static kvmsim.domain.testing.X86Steps.GUEST_MEMFD;
import static kvmsim.domain.testing.X86Steps.HOST;
import static kvmsim.domain.testing.X86Steps.HVA;
import static kvmsim.domain.testing.X86Steps.NO_DIRECT_MAP;
import static kvmsim.domain.testing.X86Steps.PRIVATE;
import static kvmsim.domain.testing.X86Steps.VM;
import static kvmsim.domain.testing.X86Steps.attributes;
import static kvmsim.domain.testing.X86Steps.createGmem;
import static kvmsim.domain.testing.X86Steps.gpc;
import static kvmsim.domain.testing.X86Steps.gpcActivate;
import static kvmsim.domain.testing.X86Steps.invalidate;
import static kvmsim.domain.testing.X86Steps.slot;
import static kvmsim.domain.testing.X86Steps.slot2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.host.HostCommand.GpcMapFolio;
import kvmsim.domain.host.HostCommand.GpcUnmapFolio;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.host.HostEvent.*;
import kvmsim.domain.host.HostState;
import kvmsim.domain.policy.DirectMapPolicy;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.testing.DeciderSpec;
import kvmsim.domain.testing.StepsSpec;
import kvmsim.domain.testing.X86Steps;
import kvmsim.domain.trace.Step.GpcStepKind;
import kvmsim.domain.vm.Gpc;
import kvmsim.domain.vm.VmEvent.*;
import kvmsim.domain.vm.VmState;
import org.junit.jupiter.api.Test;

/**
 * gfn_to_pfn cache rules PfnCacheTest does not pin down yet (virt/kvm/pfncache.c, kvm-semantics.md
 * §3.4): the length check at its page boundary, refreshes that change nothing or only the offset,
 * deactivating an inactive cache, the error exits of __kvm_gpc_refresh(), which caches an
 * invalidation reaches; and the folio events of gpc_map()/gpc_unmap() under each gpc-direct-map
 * policy of seed 001, as the host decides them.
 */
class PfnCacheRulesTest {

    private static final long PFN = HostState.FIRST_GMEM_PFN;

    /** Slot 0: 16 shared pages at gpa 0. Generation 1. */
    private static StepsSpec shared() {
        return X86Steps.vm(true).step(slot(0, 0, 0, 0x10000));
    }

    private static Gpc gpcOf(StepsSpec s, String id) {
        return ((VmState) s.state(VM)).gpc(id);
    }

    private static long page(long gpa) {
        return (HVA + gpa) >>> 12;
    }

    // ---- kvm_gpc_activate() / kvm_gpc_refresh() / kvm_gpc_deactivate() ----

    // kvm_gpc_is_valid_len(): offset + len must not cross the page; checked before anything changes
    @Test
    void theCachedAccessMustEndWithinItsPage() {
        shared().step(gpcActivate("c", 0x1ff8, 8)).thenErrno(null);
        shared().step(gpcActivate("c", 0x1000, 0x1000)).thenErrno(null);
        StepsSpec over = shared().step(gpcActivate("c", 0x1ff8, 9)).thenErrno(Errno.EINVAL);
        assertEquals(List.of(), over.eventsOfLastStep(VM));
        assertFalse(gpcOf(over, "c").active());
        shared().step(gpcActivate("c", 0x1000, 0x1001)).thenErrno(Errno.EINVAL);
    }

    // __kvm_gpc_refresh(): valid and the same hva: nothing to redo
    @Test
    void aRefreshOfAValidCacheWhoseTranslationHoldsChangesNothing() {
        StepsSpec s = shared().step(gpcActivate("c", 0x1000, 8)).step(gpc("c", GpcStepKind.REFRESH)).thenErrno(null);
        assertEquals(List.of(), s.eventsOfLastStep(VM));
        assertEquals(List.of(), s.eventsOfLastStep(HOST));
    }

    @Test
    void reActivatingAnActiveCacheRetranslatesWithoutResettingIt() {
        // another offset in the same page: the same pfn, no hva_to_pfn()
        StepsSpec offset = shared().step(gpcActivate("c", 0x1000, 8)).step(gpcActivate("c", 0x1010, 8))
                .thenErrno(null);
        assertEquals(List.of(new GpcRefreshed("c", 0x1010, 1, HVA + 0x1000, page(0x1000), false)),
                offset.eventsOfLastStep(VM));
        assertEquals(List.of(), offset.eventsOfLastStep(HOST));
        // another page: hva_to_pfn() with FOLL_WRITE
        StepsSpec moved = shared().step(gpcActivate("c", 0x1000, 8)).step(gpcActivate("c", 0x2000, 8))
                .thenErrno(null);
        assertEquals(List.of(new GpcRefreshed("c", 0x2000, 1, HVA + 0x2000, page(0x2000), false)),
                moved.eventsOfLastStep(VM));
        assertEquals(List.of(new HostPageMappedWritable(page(0x2000))), moved.eventsOfLastStep(HOST));
    }

    @Test
    void kvmGpcDeactivateOfAnInactiveCacheDoesNothing() {
        StepsSpec never = shared().step(gpc("c", GpcStepKind.DEACTIVATE)).thenErrno(null);
        assertEquals(List.of(), never.eventsOfLastStep(VM));
        StepsSpec twice = shared().step(gpcActivate("c", 0x1000, 8)).step(gpc("c", GpcStepKind.DEACTIVATE))
                .step(gpc("c", GpcStepKind.DEACTIVATE)).thenErrno(null);
        assertEquals(List.of(), twice.eventsOfLastStep(VM));
    }

    // a private gfn is mapped from guest_memfd; a slot without one has no pfn to give (kvm_gmem_get_pfn())
    @Test
    void aPrivateGpaOfASlotWithoutGuestMemfdFailsTheRefreshWithEfault() {
        StepsSpec s = X86Steps.swProtected().step(slot(0, 0, 0, 0x4000)).step(attributes(0, 0x4000, PRIVATE))
                .step(gpcActivate("c", 0x1000, 8)).thenErrno(Errno.EFAULT);
        assertEquals(List.of(new GpcActivated("c", 8), new GpcRefreshFailed("c", 0x1000, 1, HVA + 0x1000)),
                s.eventsOfLastStep(VM));
        assertTrue(gpcOf(s, "c").active());
        assertFalse(gpcOf(s, "c").valid());
    }

    /** One private page of a NO_DIRECT_MAP guest_memfd (slot 0, gpa 0..0x4000) held by cache A. */
    private static StepsSpec privatePageHeldByA(String policy) {
        return X86Steps.swProtected().policies(Map.of(Policies.GPC_DIRECT_MAP, policy))
                .step(createGmem("g0", 0x4000, NO_DIRECT_MAP)).step(slot2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0))
                .step(attributes(0, 0x4000, PRIVATE)).step(gpcActivate("A", 0x2000, 8));
    }

    // the error exit of __kvm_gpc_refresh() unmaps the page the cache held: gpc_unmap() zaps it again
    @Test
    void aRefreshThatFailsGivesBackThePageTheCacheHeld() {
        StepsSpec s = privatePageHeldByA("refcounted").step(slot2(0, 0, 0, 0, null, 0))
                .step(gpc("A", GpcStepKind.REFRESH)).thenErrno(Errno.EFAULT);
        assertEquals(List.of(new FolioLocked(PFN), new FolioMapCountSet(PFN, 0), new DirectMapZapped(PFN),
                new FolioPrivateChanged(PFN, true), new FolioUnlocked(PFN)), s.eventsOfLastStep(HOST));
        assertEquals(Gpc.KVM_PFN_ERR_FAULT, gpcOf(s, "A").pfn());
        StepsSpec x = privatePageHeldByA("exclusive").step(slot2(0, 0, 0, 0, null, 0))
                .step(gpc("A", GpcStepKind.REFRESH)).thenErrno(Errno.EFAULT);
        assertEquals(List.of(new FolioLocked(PFN), new DirectMapZapped(PFN), new FolioPrivateChanged(PFN, true),
                new FolioUnlocked(PFN)), x.eventsOfLastStep(HOST));
    }

    // gfn_to_pfn_cache_invalidate_start(): a cache whose uhva lies in the range, and only such a cache
    @Test
    void anInvalidationReachesOnlyTheCachesWhosePageItCovers() {
        StepsSpec s = shared().step(gpcActivate("a", 0x1000, 8)).step(gpcActivate("b", 0x3000, 8))
                .step(invalidate(0x2000, 0x1000)).thenErrno(null);
        assertEquals(List.of(), s.eventsOfLastStep(VM));
        s.step(invalidate(0x1000, 0x3000)).thenErrno(null);
        assertEquals(List.of(new GpcInvalidated(List.of("a", "b"))), s.eventsOfLastStep(VM));
    }

    // ---- gpc_map() / gpc_unmap() of a guest_memfd pfn on the host, per policy ----

    /** A NO_DIRECT_MAP folio at PFN, gone from the direct map (PG_private set), no cache holding it. */
    private static final HostEvent[] ZAPPED = {new GmemCreated("g0", "vm0", 0x4000, NO_DIRECT_MAP),
            new GmemFolioAllocated("g0", 0, PFN), new DirectMapZapped(PFN), new FolioPrivateChanged(PFN, true),
            new FolioUnlocked(PFN)};

    private static DeciderSpec folio(HostEvent... more) {
        HostEvent[] all = java.util.Arrays.copyOf(ZAPPED, ZAPPED.length + more.length);
        System.arraycopy(more, 0, all, ZAPPED.length, more.length);
        return DeciderSpec.given(HOST, all);
    }

    /** What the first gpc_map() under refcounted left: restored, one holder. */
    private static final HostEvent[] HELD_ONCE = {new FolioLocked(PFN), new DirectMapRestored(PFN),
            new FolioPrivateChanged(PFN, false), new FolioMapCountSet(PFN, 1), new FolioUnlocked(PFN)};

    // Paolo's review: page_private() counts the holders; the first restores, the last zaps
    @Test
    void refcountedRestoresOnTheFirstMapAndZapsOnTheLastUnmap() {
        folio().when(new GpcMapFolio(PFN, DirectMapPolicy.REFCOUNTED)).thenEvents(HELD_ONCE);
        folio(HELD_ONCE).when(new GpcMapFolio(PFN, DirectMapPolicy.REFCOUNTED))
                .thenEvents(new FolioLocked(PFN), new FolioMapCountSet(PFN, 2), new FolioUnlocked(PFN));
        folio(HELD_ONCE).when(new GpcUnmapFolio(PFN, DirectMapPolicy.REFCOUNTED)).thenEvents(new FolioLocked(PFN),
                new FolioMapCountSet(PFN, 0), new DirectMapZapped(PFN), new FolioPrivateChanged(PFN, true),
                new FolioUnlocked(PFN));
        HostEvent[] heldTwice = java.util.Arrays.copyOf(HELD_ONCE, HELD_ONCE.length + 3);
        heldTwice[HELD_ONCE.length] = new FolioLocked(PFN);
        heldTwice[HELD_ONCE.length + 1] = new FolioMapCountSet(PFN, 2);
        heldTwice[HELD_ONCE.length + 2] = new FolioUnlocked(PFN);
        folio(heldTwice).when(new GpcUnmapFolio(PFN, DirectMapPolicy.REFCOUNTED))
                .thenEvents(new FolioLocked(PFN), new FolioMapCountSet(PFN, 1), new FolioUnlocked(PFN));
    }

    // the RFC (6/8): one cache per pfn, a second gpc_map() is -EINVAL
    @Test
    void exclusiveRestoresForOneCacheAndRefusesASecond() {
        HostState held = (HostState) folio().when(new GpcMapFolio(PFN, DirectMapPolicy.EXCLUSIVE)).thenEvents(
                new FolioLocked(PFN), new DirectMapRestored(PFN), new FolioPrivateChanged(PFN, false),
                new FolioUnlocked(PFN));
        DeciderSpec.givenState(held).when(new GpcMapFolio(PFN, DirectMapPolicy.EXCLUSIVE)).thenErrno(Errno.EINVAL);
        DeciderSpec.givenState(held).when(new GpcUnmapFolio(PFN, DirectMapPolicy.EXCLUSIVE)).thenEvents(
                new FolioLocked(PFN), new DirectMapZapped(PFN), new FolioPrivateChanged(PFN, true),
                new FolioUnlocked(PFN));
    }

    // no guard: a second map finds the page present and does nothing; any unmap zaps it
    @Test
    void uncheckedMapsWhateverIsThereAndZapsOnEveryUnmap() {
        HostState held = (HostState) folio().when(new GpcMapFolio(PFN, DirectMapPolicy.UNCHECKED)).thenEvents(
                new FolioLocked(PFN), new DirectMapRestored(PFN), new FolioPrivateChanged(PFN, false),
                new FolioUnlocked(PFN));
        DeciderSpec.givenState(held).when(new GpcMapFolio(PFN, DirectMapPolicy.UNCHECKED))
                .thenEvents(new FolioLocked(PFN), new FolioUnlocked(PFN));
        DeciderSpec.givenState(held).when(new GpcUnmapFolio(PFN, DirectMapPolicy.UNCHECKED)).thenEvents(
                new FolioLocked(PFN), new DirectMapZapped(PFN), new FolioPrivateChanged(PFN, true),
                new FolioUnlocked(PFN));
    }

    // gpc_map_gmem(): nothing to do unless the inode has KVM_GMEM_NO_DIRECT_MAP
    @Test
    void aFolioThatNeverLeftTheDirectMapNeedsNoRestoreNorZap() {
        DeciderSpec plain = DeciderSpec.given(HOST, new GmemCreated("g0", "vm0", 0x4000, 0),
                new GmemFolioAllocated("g0", 0, PFN), new FolioUnlocked(PFN));
        for (DirectMapPolicy p : DirectMapPolicy.values()) {
            plain.when(new GpcMapFolio(PFN, p)).thenNothing();
            plain.when(new GpcUnmapFolio(PFN, p)).thenNothing();
        }
    }
}
