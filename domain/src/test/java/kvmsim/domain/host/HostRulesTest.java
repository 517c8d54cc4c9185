package kvmsim.domain.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.PageLevel;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Event;
import kvmsim.domain.host.HostCommand.*;
import kvmsim.domain.host.HostEvent.*;
import kvmsim.domain.testing.DeciderSpec;
import org.junit.jupiter.api.Test;

/**
 * The rules of the host kernel about the VMM process, decided by the host alone: its VMAs (mmap,
 * munmap), the VMM's own stores, RLIMIT_MEMLOCK accounting (account_locked_vm()), and what the
 * arm64 MMU code asks of the host: sanitise_mte_tags_memslot(), user_mem_abort()'s fault-in and
 * the CMOs, hva_to_pfn(), pin_user_pages().
 */
class HostRulesTest {

    private static final EntityId HOST = EntityId.host("host0");
    private static final long HVA = 0x7f0000000000L;
    private static final long PAGE = Pages.PAGE_SIZE;
    private static final long P0 = Pages.pageOf(HVA);

    private static DeciderSpec host(Event... more) {
        List<Event> events = new ArrayList<>();
        events.add(new HostDeclared(Arch.ARM64, HostFeatures.defaults(Arch.ARM64), null));
        events.addAll(List.of(more));
        return DeciderSpec.given(HOST, events.toArray(Event[]::new));
    }

    /** A host whose VMM mapped [HVA, HVA + pages) privately. */
    private static DeciderSpec mapped(long pages, Event... more) {
        List<Event> events = new ArrayList<>();
        events.add(new VmaMapped(HVA, pages * PAGE, false, false));
        events.addAll(List.of(more));
        return host(events.toArray(Event[]::new));
    }

    private static DeciderSpec withRlimitPages(long pages, Event... more) {
        List<Event> events = new ArrayList<>();
        events.add(new RlimitMemlockSet(pages * PAGE));
        events.addAll(List.of(more));
        return host(events.toArray(Event[]::new));
    }

    private static List<Long> pages(long first, long count) {
        List<Long> out = new ArrayList<>();
        for (long p = first; p < first + count; p++) {
            out.add(p);
        }
        return out;
    }

    // ---- mmap(MAP_FIXED_NOREPLACE) as the trace format defines MMAP ----

    @Test
    void mmap_addsAVma() {
        HostState s = (HostState) host().when(new Mmap(HVA, 4 * PAGE, true, true))
                .thenEvents(new VmaMapped(HVA, 4 * PAGE, true, true));
        assertEquals(new Vma(HVA, 4 * PAGE, true, true), s.vmaAt(HVA + 3 * PAGE));
        assertNull(s.vmaAt(HVA + 4 * PAGE), "once MMAP steps exist, memory outside them is unmapped");
    }

    @Test
    void mmap_anUnalignedFixedAddressIsEinval() {
        host().when(new Mmap(HVA + 0x800, PAGE, false, false)).thenErrno(Errno.EINVAL);
    }

    @Test
    void mmap_aZeroLengthIsEinval() {
        host().when(new Mmap(HVA, 0, false, false)).thenErrno(Errno.EINVAL);
    }

    // the errno of these two is not asserted: trace-format.md makes both EINVAL, do_mmap() returns ENOMEM for a
    // range past the end of the address space and MAP_FIXED_NOREPLACE EEXIST for an overlap

    @Test
    void mmap_aRangeThatWrapsIsRefused() {
        DeciderSpec spec = host().when(new Mmap(-PAGE, 2 * PAGE, false, false));
        assertNotNull(spec.decision().errno());
    }

    @Test
    void mmap_overAnExistingVmaIsRefused() {
        assertNotNull(mapped(4).when(new Mmap(HVA + 3 * PAGE, 2 * PAGE, false, false)).decision().errno());
        assertNotNull(mapped(4).when(new Mmap(HVA - PAGE, 2 * PAGE, false, false)).decision().errno());
    }

    @Test
    void mmap_rightAfterAVmaIsFine() {
        mapped(4).when(new Mmap(HVA + 4 * PAGE, PAGE, false, false))
                .thenEvents(new VmaMapped(HVA + 4 * PAGE, PAGE, false, false));
    }

    // ---- huge-page backing (MMAP page_size) ----

    private static final long M2 = PageLevel.PG_LEVEL_2M.bytes();

    @Test
    void mmap_hugePagesRoundTheLengthUpAndBackEveryAddressAtTheirLevel() {
        HostState s = (HostState) host().when(new Mmap(HVA, M2 + PAGE, false, false, PageLevel.PG_LEVEL_2M))
                .thenEvents(new VmaMapped(HVA, 2 * M2, false, false, PageLevel.PG_LEVEL_2M));
        assertEquals(PageLevel.PG_LEVEL_2M, s.hostPfnMappingLevel(HVA + 2 * M2 - PAGE));
        assertEquals(PageLevel.PG_LEVEL_4K, s.hostPfnMappingLevel(HVA + 2 * M2), "unmapped memory is 4K");
    }

    @Test
    void mmap_aHugePageVmaOffItsPageSizeIsEinval() {
        host().when(new Mmap(HVA + PAGE, M2, false, false, PageLevel.PG_LEVEL_2M)).thenErrno(Errno.EINVAL);
        host().when(new Mmap(HVA + M2, M2, false, false, PageLevel.PG_LEVEL_1G)).thenErrno(Errno.EINVAL);
    }

    @Test
    void munmap_cuttingAHugePageVmaOffItsPageSizeIsEinvalAndOnItIsFine() {
        DeciderSpec huge = host(new VmaMapped(HVA, 2 * M2, false, false, PageLevel.PG_LEVEL_2M));
        huge.when(new Munmap(HVA + PAGE, M2)).thenErrno(Errno.EINVAL);
        huge.when(new Munmap(HVA, PAGE)).thenErrno(Errno.EINVAL);
        HostState s = (HostState) huge.when(new Munmap(HVA, M2)).thenEvents(new VmaUnmapped(HVA, M2));
        assertEquals(List.of(new Vma(HVA + M2, M2, false, false, PageLevel.PG_LEVEL_2M)), s.vmas());
    }

    // ---- __vm_munmap() ----

    @Test
    void munmap_anUnalignedStartOrAZeroLengthIsEinval() {
        mapped(4).when(new Munmap(HVA + 1, PAGE)).thenErrno(Errno.EINVAL);
        mapped(4).when(new Munmap(HVA, 0)).thenErrno(Errno.EINVAL);
    }

    @Test
    void munmap_aRangeThatWrapsIsEinval() {
        host().when(new Munmap(-PAGE, 2 * PAGE)).thenErrno(Errno.EINVAL);
    }

    @Test
    void munmap_roundsTheLengthUpToWholePages() {
        HostState s = (HostState) mapped(4).when(new Munmap(HVA, PAGE + 1))
                .thenEvents(new VmaUnmapped(HVA, 2 * PAGE));
        assertEquals(List.of(new Vma(HVA + 2 * PAGE, 2 * PAGE, false, false)), s.vmas());
    }

    @Test
    void munmap_ofAHoleSucceedsAndChangesNoVma() {
        HostState s = (HostState) mapped(4).when(new Munmap(HVA + 16 * PAGE, PAGE))
                .thenEvents(new VmaUnmapped(HVA + 16 * PAGE, PAGE));
        assertEquals(List.of(new Vma(HVA, 4 * PAGE, false, false)), s.vmas());
    }

    @Test
    void munmap_inTheMiddleSplitsTheVma() {
        HostState s = (HostState) mapped(4).when(new Munmap(HVA + PAGE, PAGE))
                .thenEvents(new VmaUnmapped(HVA + PAGE, PAGE));
        assertEquals(List.of(new Vma(HVA, PAGE, false, false), new Vma(HVA + 2 * PAGE, 2 * PAGE, false, false)),
                s.vmas());
    }

    // ---- the VMM's own stores (USERSPACE_WRITE) ----

    @Test
    void userspaceWrite_withoutMmapStepsEveryAddressIsPrivateAnonymousMemory() {
        HostState s = (HostState) host().when(new UserspaceWrite(HVA + 0x10, 8))
                .thenEvents(new UserspaceWrote(HVA + 0x10, 8, List.of()));
        assertTrue(s.page(P0).writable(), "the write broke COW: the VMM's PTE is writable");
    }

    @Test
    void userspaceWrite_outsideEveryVmaIsEfault() {
        mapped(2).when(new UserspaceWrite(HVA + 2 * PAGE, 8)).thenErrno(Errno.EFAULT);
        mapped(2).when(new UserspaceWrite(HVA + PAGE, PAGE + 1)).thenErrno(Errno.EFAULT); // runs off the end
    }

    @Test
    void userspaceWrite_toProtMtePagesInitialisesTheirTagsOnTheFirstWriteOnly() {
        Event vma = new VmaMapped(HVA, 4 * PAGE, false, true);
        HostState s = (HostState) host(vma).when(new UserspaceWrite(HVA + PAGE - 4, 8))
                .thenEvents(new UserspaceWrote(HVA + PAGE - 4, 8, List.of(P0, P0 + 1)));
        assertTrue(s.page(P0).mteTagged() && s.page(P0 + 1).mteTagged());
        host(vma, new UserspaceWrote(HVA, 8, List.of(P0))).when(new UserspaceWrite(HVA, 2 * PAGE))
                .thenEvents(new UserspaceWrote(HVA, 2 * PAGE, List.of(P0 + 1)));
    }

    @Test
    void userspaceWrite_toAVmaWithoutProtMteTagsNothing() {
        mapped(2).when(new UserspaceWrite(HVA, 2 * PAGE)).thenEvents(new UserspaceWrote(HVA, 2 * PAGE, List.of()));
    }

    // ---- account_locked_vm() ----

    @Test
    void accountLockedVm_withinRlimitMemlockAddsThePages() {
        HostState s = (HostState) withRlimitPages(4, new LockedVmAccounted(1, 1)).when(new AccountLockedVm(3))
                .thenEvents(new LockedVmAccounted(3, 4));
        assertEquals(4, s.lockedVm());
    }

    @Test
    void accountLockedVm_overRlimitMemlockIsEnomem() {
        withRlimitPages(4, new LockedVmAccounted(2, 2)).when(new AccountLockedVm(3)).thenErrno(Errno.ENOMEM);
    }

    @Test
    void accountLockedVm_rlimInfinityNeverRefuses() {
        host().when(new AccountLockedVm(1L << 40)).thenEvents(new LockedVmAccounted(1L << 40, 1L << 40));
    }

    @Test
    void accountLockedVm_aNegativeDeltaIsNeverRefused() {
        // the limit was lowered below what is locked: unlocking must still be accounted
        withRlimitPages(1, new LockedVmAccounted(4, 4)).when(new AccountLockedVm(-4))
                .thenEvents(new LockedVmAccounted(-4, 0));
    }

    // ---- sanitise_mte_tags_memslot() (v5 06/38) ----

    @Test
    void sanitiseMteTagsMemslot_clearsTheTagsOfUntaggedPagesOnly() {
        mapped(4, new MteTagsSanitised(List.of(P0 + 1))).when(new SanitiseMteTagsMemslot(HVA, 4))
                .thenEvents(new MteTagsSanitised(List.of(P0, P0 + 2, P0 + 3)));
    }

    @Test
    void sanitiseMteTagsMemslot_withEveryPageTaggedDoesNothing() {
        mapped(2, new MteTagsSanitised(List.of(P0, P0 + 1))).when(new SanitiseMteTagsMemslot(HVA, 2)).thenNothing();
    }

    @Test
    void sanitiseMteTagsMemslot_withoutMmapStepsChecksNoVma() {
        host().when(new SanitiseMteTagsMemslot(HVA, 2)).thenEvents(new MteTagsSanitised(List.of(P0, P0 + 1)));
    }

    @Test
    void sanitiseMteTagsMemslot_acceptsContiguousVmas() {
        host(new VmaMapped(HVA, PAGE, false, false), new VmaMapped(HVA + PAGE, PAGE, false, true))
                .when(new SanitiseMteTagsMemslot(HVA, 2)).thenEvents(new MteTagsSanitised(List.of(P0, P0 + 1)));
    }

    @Test
    void sanitiseMteTagsMemslot_aSlotRunningPastTheLastVmaIsEfault() {
        mapped(2).when(new SanitiseMteTagsMemslot(HVA, 4)).thenErrno(Errno.EFAULT);
    }

    @Test
    void sanitiseMteTagsMemslot_noVmaAtAllIsEfault() {
        host(new VmaMapped(HVA + 16 * PAGE, PAGE, false, false)).when(new SanitiseMteTagsMemslot(HVA, 4))
                .thenErrno(Errno.EFAULT);
    }

    @Test
    void sanitiseMteTagsMemslot_aVmSharedVmaIsEfault() {
        host(new VmaMapped(HVA, PAGE, false, false), new VmaMapped(HVA + PAGE, PAGE, true, false))
                .when(new SanitiseMteTagsMemslot(HVA, 2)).thenErrno(Errno.EFAULT);
    }

    // ---- user_mem_abort()'s fault-in of a page (5.15) ----

    @Test
    void userMemAbort_aPageWithoutAVmaIsEfault() {
        mapped(1).when(new FaultInPage(HVA + PAGE, false, true, false)).thenErrno(Errno.EFAULT);
    }

    @Test
    void userMemAbort_withMteAVmSharedVmaIsEfault() {
        host(new VmaMapped(HVA, PAGE, true, false)).when(new FaultInPage(HVA, true, true, false))
                .thenErrno(Errno.EFAULT);
    }

    @Test
    void userMemAbort_withoutMteAVmSharedVmaIsFine() {
        host(new VmaMapped(HVA, PAGE, true, false)).when(new FaultInPage(HVA, false, true, false))
                .thenEvents(new DcacheCleaned(HVA, 1));
    }

    @Test
    void userMemAbort_withMteSanitisesAnUntaggedPageThenDoesTheCmosAsked() {
        HostState s = (HostState) mapped(2).when(new FaultInPage(HVA + PAGE + 0x10, true, true, true))
                .thenEvents(new MteTagsSanitised(List.of(P0 + 1)), new DcacheCleaned(HVA + PAGE, 1),
                        new IcacheInvalidated(HVA + PAGE, 1));
        assertTrue(s.page(P0 + 1).mteTagged());
    }

    @Test
    void userMemAbort_withMteLeavesATaggedPageAlone() {
        mapped(1, new MteTagsSanitised(List.of(P0))).when(new FaultInPage(HVA, true, true, false))
                .thenEvents(new DcacheCleaned(HVA, 1));
    }

    @Test
    void userMemAbort_withFwbAndNoExecDoesNoCmo() {
        mapped(1).when(new FaultInPage(HVA, false, false, false)).thenNothing();
    }

    // ---- the CMOs as separate requests ----

    @Test
    void invalidateIcacheGuestPage_coversThePageOfTheAddress() {
        host().when(new InvalidateIcachePage(HVA + 0x123)).thenEvents(new IcacheInvalidated(HVA, 1));
        host().when(new InvalidateIcacheAll()).thenEvents(new IcacheInvalidatedAll());
        host().when(new CleanDcache(HVA, 3)).thenEvents(new DcacheCleaned(HVA, 3));
    }

    // ---- hva_to_pfn() ----

    @Test
    void hvaToPfn_aPageWithoutAVmaIsEfault() {
        mapped(1).when(new HvaToPfn(HVA + PAGE, false)).thenErrno(Errno.EFAULT);
    }

    @Test
    void hvaToPfn_aWriteFaultMakesThePageWritable() {
        HostState s = (HostState) mapped(1).when(new HvaToPfn(HVA, true)).thenEvents(new HostPageMappedWritable(P0));
        assertTrue(s.page(P0).writable());
    }

    @Test
    void hvaToPfn_aReadOfAnUntouchedPrivatePageLeavesItReadOnly() {
        mapped(1).when(new HvaToPfn(HVA, false)).thenNothing();
    }

    @Test
    void hvaToPfn_aReadOfASharedPageMakesItWritable() {
        host(new VmaMapped(HVA, PAGE, true, false)).when(new HvaToPfn(HVA, false))
                .thenEvents(new HostPageMappedWritable(P0));
    }

    @Test
    void hvaToPfn_aPageAlreadyWritableChangesNothing() {
        mapped(1, new UserspaceWrote(HVA, 8, List.of())).when(new HvaToPfn(HVA, true)).thenNothing();
    }

    // ---- pin_user_pages() / unpin_user_pages() ----

    @Test
    void pinAndUnpin_countPinsPerPage() {
        HostState pinned = (HostState) host().when(new PinPages(HVA, 2, true))
                .thenEvents(new PagesPinned(HVA, 2, true));
        assertEquals(1, pinned.page(P0 + 1).pins());
        HostState unpinned = (HostState) host(new PagesPinned(HVA, 2, true)).when(new UnpinPages(HVA, 2, true))
                .thenEvents(new PagesUnpinned(HVA, 2, true));
        assertEquals(0, unpinned.page(P0).pins());
        assertFalse(unpinned.pages().containsKey(P0), "an untouched page leaves the map");
    }
}
