package kvmsim.domain.memslot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.memslot.MemslotCommand.*;
import kvmsim.domain.memslot.MemslotEvent.*;
import kvmsim.domain.testing.DeciderSpec;
import org.junit.jupiter.api.Test;

/**
 * The x86 rules one memslot decides alone: its SPTEs (fast_page_fault(), make_spte(),
 * kvm_age_gfn(), zapping, kvm_mmu_slot_remove_write_access()) and its dirty bitmap
 * (kvm_get_dirty_log_protect(), kvm_clear_dirty_log_protect(), mark_page_dirty_in_slot(),
 * kvm_prepare_memory_region()). Kernel facts: kvm-semantics.md §5 and §7, seed 004, FINDINGS.md.
 * The slot starts at gfn 0x100, so a gfn and its slot-relative page differ.
 */
class MemslotX86RulesTest {

    private static final EntityId SLOT = EntityId.slot("vm0", 0);
    private static final long HVA = 0x7f0000000000L;
    private static final long BASE = 0x100;
    private static final long LOG = 1;
    private static final long READONLY = 2;

    /** W, MMU-writable, Host-writable: what make_spte() gives a writable host page. */
    private static final Spte W = Spte.make(true);
    /** Host read-only (the zero page, a read-only VMA): never writable. */
    private static final Spte HOST_RO = Spte.make(false);
    /** Write-protected for dirty logging: MMU-writable kept. */
    private static final Spte WRPROT = W.writeProtected();
    /** Access-tracked without A/D bits: RWX cleared, MMU-writable kept. */
    private static final Spte TRACKED = W.markForAccessTrack();

    private static MemslotCreated slot(long flags, long npages) {
        return new MemslotCreated(new SlotGeometry(0, BASE, npages, HVA, flags));
    }

    /** SPTE of gfn made while the slot did not log (or before its bitmap existed). */
    private static SpteChanged spte(long gfn, Spte s) {
        return new SpteChanged(gfn, null, s, false);
    }

    private static DeciderSpec given(MemslotEvent... events) {
        return DeciderSpec.given(SLOT, events);
    }

    /** A logging slot of 16 pages with an empty bitmap and these SPTEs. */
    private static DeciderSpec logging(MemslotEvent... more) {
        List<MemslotEvent> e = new ArrayList<>(List.of(slot(LOG, 16), new DirtyBitmapAllocated(false)));
        e.addAll(List.of(more));
        return given(e.toArray(MemslotEvent[]::new));
    }

    private static DeciderSpec notLogging(MemslotEvent... more) {
        List<MemslotEvent> e = new ArrayList<>(List.of(slot(0, 16)));
        e.addAll(List.of(more));
        return given(e.toArray(MemslotEvent[]::new));
    }

    private static MemslotState st(Object s) {
        return (MemslotState) s;
    }

    // ---- fast_page_fault() ----

    @Test
    void fastPageFaultRestoresAnAccessTrackedSpteWithoutAdBitsButNotItsW() {
        notLogging(spte(0x103, TRACKED)).when(new FastPageFault(0x103, false, false))
                .thenEvents(new SpteChanged(0x103, TRACKED, WRPROT, false));
    }

    // page_fault_can_be_fast(): a not-present fault is fast only when KVM disabled A/D bits
    @Test
    void withAdBitsAFaultOnAnAccessTrackedSpteTakesTheSlowPath() {
        notLogging(spte(0x103, TRACKED)).when(new FastPageFault(0x103, false, true)).thenNothing();
        notLogging(spte(0x103, TRACKED)).when(new FastPageFault(0x103, true, true)).thenNothing();
    }

    @Test
    void aWriteToAnMmuWritableSpteAddsWAndLogsTheGfnOnlyInALoggingSlot() {
        MemslotState s = st(logging(spte(0x103, WRPROT)).when(new FastPageFault(0x103, true, true))
                .thenEvents(new SpteChanged(0x103, WRPROT, W, true)));
        assertEquals(List.of(3L), s.dirtyBitmap().pages());
        notLogging(spte(0x103, WRPROT)).when(new FastPageFault(0x103, true, true))
                .thenEvents(new SpteChanged(0x103, WRPROT, W, false));
        // without A/D bits a write to an access-tracked, MMU-writable SPTE is restored and made writable at once
        logging(spte(0x103, TRACKED)).when(new FastPageFault(0x103, true, false))
                .thenEvents(new SpteChanged(0x103, TRACKED, W, true));
    }

    @Test
    void aWriteToAnSpteThatIsNotMmuWritableIsLeftToTheSlowPath() {
        notLogging(spte(0x103, HOST_RO)).when(new FastPageFault(0x103, true, true)).thenNothing();
        // restoring a host-read-only access-tracked SPTE would still not allow the write
        notLogging(spte(0x103, HOST_RO.markForAccessTrack())).when(new FastPageFault(0x103, true, false))
                .thenNothing();
    }

    // ---- make_spte() ----

    @Test
    void makeSpteInAReadonlySlotIsNeverWritableNorHostWritable() {
        given(slot(READONLY, 16)).when(new MakeSpte(0x103, true)).thenEvents(new SpteChanged(0x103, null, HOST_RO,
                false));
        // LOG_DIRTY_PAGES on a READONLY slot: nothing can be granted, so nothing is logged
        MemslotState s = st(given(slot(READONLY | LOG, 16), new DirtyBitmapAllocated(false))
                .when(new MakeSpte(0x103, true)).thenEvents(new SpteChanged(0x103, null, HOST_RO, false)));
        assertTrue(s.dirtyBitmap().isEmpty());
    }

    // make_spte(): W in a slot with dirty tracking calls mark_page_dirty_in_slot() (§5.3: KVM logs the grant)
    @Test
    void aWriteGrantInALoggingSlotMarksTheGfnDirtyInTheSameEvent() {
        MemslotState s = st(logging().when(new MakeSpte(0x103, true))
                .thenEvents(new SpteChanged(0x103, null, W, true)));
        assertEquals(List.of(3L), s.dirtyBitmap().pages());
        MemslotState ro = st(logging().when(new MakeSpte(0x103, false))
                .thenEvents(new SpteChanged(0x103, null, HOST_RO, false)));
        assertTrue(ro.dirtyBitmap().isEmpty(), "a read-only mapping grants nothing");
        notLogging().when(new MakeSpte(0x103, true)).thenEvents(new SpteChanged(0x103, null, W, false));
        logging(spte(0x103, WRPROT)).when(new MakeSpte(0x103, true))
                .thenEvents(new SpteChanged(0x103, WRPROT, W, true));
    }

    // make_spte() with pte_access lacking ACC_WRITE_MASK (shadow paging, FNAME(protect_clean_gpte)):
    // Host-writable is kept, W and MMU-writable are not, so nothing is logged and no fast path can add W
    @Test
    void makeSpteWithoutAccWriteIsHostWritableOnlyAndLogsNothing() {
        Spte clean = new Spte(false, false, true, false);
        MemslotState s = st(logging().when(new MakeSpte(0x103, true, false))
                .thenEvents(new SpteChanged(0x103, null, clean, false)));
        assertTrue(s.dirtyBitmap().isEmpty());
        assertNull(clean.fastPageFault(true, true), "a write to it takes the slow path");
        // the write fault's make_spte() with ACC_WRITE_MASK grants W and logs the gfn
        logging(spte(0x103, clean)).when(new MakeSpte(0x103, true, true))
                .thenEvents(new SpteChanged(0x103, clean, W, true));
        // without a writable pfn ACC_WRITE_MASK makes no difference
        logging().when(new MakeSpte(0x103, false, true)).thenEvents(new SpteChanged(0x103, null, HOST_RO, false));
    }

    @Test
    void makeSpteOfTheSpteAlreadyThereChangesNothing() {
        logging(spte(0x103, W)).when(new MakeSpte(0x103, true)).thenNothing();
    }

    // ---- kvm_age_gfn() without A/D bits (MMU_NOTIFIER_CLEAR_YOUNG) ----

    @Test
    void agingTracksOnlyThePresentUntrackedSptesOfTheRange() {
        DeciderSpec s = notLogging(spte(0x101, W), spte(0x102, TRACKED), spte(0x103, WRPROT), spte(0x108, W));
        MemslotState aged = st(s.when(new AccessTrackGfnRange(0x100, 4))
                .thenEvents(new SptesAccessTracked(List.of(0x101L, 0x103L))));
        assertEquals(TRACKED, aged.spte(0x101), "W is lost, MMU-writable kept");
        assertEquals(W, aged.spte(0x108), "outside the range");
        notLogging(spte(0x102, TRACKED)).when(new AccessTrackGfnRange(0x100, 16)).thenNothing();
    }

    // ---- kvm_unmap_gfn_range() ----

    @Test
    void zapRemovesEverySpteOfTheRangeTrackedOrNot() {
        MemslotState z = st(notLogging(spte(0x101, W), spte(0x102, TRACKED), spte(0x103, W))
                .when(new ZapGfnRange(0x101, 2)).thenEvents(new SptesZapped(List.of(0x101L, 0x102L))));
        assertNull(z.spte(0x101));
        assertEquals(W, z.spte(0x103));
        notLogging(spte(0x103, W)).when(new ZapGfnRange(0x104, 8)).thenNothing();
    }

    // ---- kvm_mmu_slot_remove_write_access() ----

    // b64d740: when every SPTE is access-tracked nothing loses W, and the write-protect is still recorded
    @Test
    void removeWriteAccessIsRecordedEvenWhenNoSpteHadW() {
        notLogging(spte(0x101, TRACKED), spte(0x102, HOST_RO)).when(new RemoveWriteAccess())
                .thenEvents(new SlotWriteProtected(List.of()));
        notLogging().when(new RemoveWriteAccess()).thenEvents(new SlotWriteProtected(List.of()));
    }

    @Test
    void removeWriteAccessNamesTheSptesThatLostWAndKeepsMmuWritable() {
        MemslotState s = st(notLogging(spte(0x101, W), spte(0x102, HOST_RO), spte(0x103, TRACKED))
                .when(new RemoveWriteAccess()).thenEvents(new SlotWriteProtected(List.of(0x101L))));
        assertEquals(WRPROT, s.spte(0x101));
        assertEquals(TRACKED, s.spte(0x103));
    }

    // ---- kvm_get_dirty_log_protect() ----

    @Test
    void getDirtyLogIsEnoentWithoutASlotOrWithoutABitmap() {
        given().when(new GetDirtyLog(false)).thenErrno(Errno.ENOENT);
        notLogging().when(new GetDirtyLog(false)).thenErrno(Errno.ENOENT);
        notLogging().when(new GetDirtyLog(true)).thenErrno(Errno.ENOENT);
    }

    @Test
    void underManualProtectGetOnlyCopiesTheBitmap() {
        DeciderSpec s = logging(new SpteChanged(0x103, null, W, true), new SpteChanged(0x105, null, W, true));
        MemslotState after = st(s.when(new GetDirtyLog(true))
                .thenEvents(new DirtyLogReported(List.of(3L, 5L), false, List.of())));
        assertEquals(List.of(3L, 5L), after.dirtyBitmap().pages());
        assertEquals(W, after.spte(0x103));
    }

    @Test
    void getDirtyLogClearsTheBitmapAndWriteProtectsOnlyTheReportedPages() {
        // 0x104 became writable before logging started: writable, but not dirty
        DeciderSpec s = given(slot(LOG, 16), spte(0x104, W), new DirtyBitmapAllocated(false),
                new SpteChanged(0x103, null, W, true), new PageMarkedDirty(0x107));
        MemslotState after = st(s.when(new GetDirtyLog(false))
                .thenEvents(new DirtyLogReported(List.of(3L, 7L), true, List.of(0x103L))));
        assertTrue(after.dirtyBitmap().isEmpty());
        assertEquals(WRPROT, after.spte(0x103));
        assertEquals(W, after.spte(0x104));
        logging().when(new GetDirtyLog(false)).thenEvents(new DirtyLogReported(List.of(), true, List.of()));
    }

    // ---- kvm_clear_dirty_log_protect(), from the memslot lookup on ----

    /** A logging slot of npages whose bitmap starts all set (KVM_DIRTY_LOG_INITIALLY_SET). */
    private static DeciderSpec allDirty(long npages) {
        return given(slot(LOG, npages), new DirtyBitmapAllocated(true));
    }

    private static List<Long> pages(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }

    @Test
    void clearDirtyLogIsEnoentWithoutASlotOrWithoutABitmap() {
        given().when(new ClearDirtyLog(0, 64, null)).thenErrno(Errno.ENOENT);
        notLogging().when(new ClearDirtyLog(0, 16, null)).thenErrno(Errno.ENOENT);
    }

    @Test
    void clearDirtyLogRangeMustLieInTheSlotAndBeWholeWordsUnlessItReachesTheEnd() {
        allDirty(100).when(new ClearDirtyLog(128, 0, null)).thenErrno(Errno.EINVAL); // first_page > npages
        allDirty(100).when(new ClearDirtyLog(1L << 40, 64, null)).thenErrno(Errno.EINVAL);
        allDirty(100).when(new ClearDirtyLog(64, 37, null)).thenErrno(Errno.EINVAL); // past the end
        allDirty(100).when(new ClearDirtyLog(64, 35, null)).thenErrno(Errno.EINVAL); // short of it, not x64
        allDirty(100).when(new ClearDirtyLog(0, 36, null)).thenErrno(Errno.EINVAL);
        allDirty(100).when(new ClearDirtyLog(64, 36, null)).thenEvents(new DirtyLogCleared(pages(64, 100),
                List.of()));
        allDirty(100).when(new ClearDirtyLog(0, 64, null)).thenEvents(new DirtyLogCleared(pages(0, 64), List.of()));
        allDirty(100).when(new ClearDirtyLog(0, 100, null)).thenEvents(new DirtyLogCleared(pages(0, 100),
                List.of()));
        // nothing at the very end of a slot of whole words, or nothing at all: fine, and nothing to do
        allDirty(128).when(new ClearDirtyLog(128, 0, null)).thenNothing();
        allDirty(128).when(new ClearDirtyLog(0, 0, null)).thenNothing();
    }

    // mask &= atomic_long_fetch_andnot(mask, p): only bits that were set count as cleared
    @Test
    void onlySetBitsCountAndPagesOutsideTheRangeAreIgnored() {
        DeciderSpec s = given(slot(LOG, 128), new DirtyBitmapAllocated(false), new PageMarkedDirty(BASE + 1),
                new PageMarkedDirty(BASE + 70));
        MemslotState after = st(s.when(new ClearDirtyLog(0, 64, List.of(1L, 5L, 70L)))
                .thenEvents(new DirtyLogCleared(List.of(1L), List.of())));
        assertEquals(List.of(70L), after.dirtyBitmap().pages());
        given(slot(LOG, 128), new DirtyBitmapAllocated(false), new PageMarkedDirty(BASE + 70))
                .when(new ClearDirtyLog(0, 64, null)).thenNothing();
    }

    @Test
    void clearWriteProtectsTheWritableSptesOfThePagesItCleared() {
        DeciderSpec s = logging(new SpteChanged(0x101, null, W, true), new SpteChanged(0x102, null, W, true));
        MemslotState after = st(s.when(new ClearDirtyLog(0, 16, List.of(1L)))
                .thenEvents(new DirtyLogCleared(List.of(1L), List.of(0x101L))));
        assertEquals(WRPROT, after.spte(0x101));
        assertEquals(W, after.spte(0x102));
        assertEquals(List.of(2L), after.dirtyBitmap().pages());
    }

    // ---- mark_page_dirty_in_slot() ----

    @Test
    void markPageDirtyLogsOnlyWhileTheSlotLogs() {
        MemslotState s = st(logging().when(new MarkPageDirty(0x103)).thenEvents(new PageMarkedDirty(0x103)));
        assertEquals(List.of(3L), s.dirtyBitmap().pages());
        notLogging().when(new MarkPageDirty(0x103)).thenNothing();
    }

    // ---- kvm_prepare_memory_region() / kvm_commit_memory_region(): the bitmap ----

    @Test
    void creatingALoggingSlotAllocatesItsBitmapAllSetUnderInitiallySet() {
        SlotGeometry g = new SlotGeometry(0, BASE, 16, HVA, LOG);
        MemslotState clean = st(given().when(new CommitChange(MemslotChange.KVM_MR_CREATE, g, true, false))
                .thenEvents(new MemslotCreated(g), new DirtyBitmapAllocated(false)));
        assertTrue(clean.dirtyTracked());
        assertTrue(clean.dirtyBitmap().isEmpty());
        MemslotState all = st(given().when(new CommitChange(MemslotChange.KVM_MR_CREATE, g, true, true))
                .thenEvents(new MemslotCreated(g), new DirtyBitmapAllocated(true)));
        assertEquals(pages(0, 16), all.dirtyBitmap().pages());
        SlotGeometry plain = new SlotGeometry(0, BASE, 16, HVA, 0);
        given().when(new CommitChange(MemslotChange.KVM_MR_CREATE, plain, true, true))
                .thenEvents(new MemslotCreated(plain));
    }

    @Test
    void aFlagsOnlyChangeAllocatesTheBitmapWhenLoggingStartsAndFreesItWhenItStops() {
        SlotGeometry on = new SlotGeometry(0, BASE, 16, HVA, LOG);
        SlotGeometry off = new SlotGeometry(0, BASE, 16, HVA, 0);
        notLogging().when(new CommitChange(MemslotChange.KVM_MR_FLAGS_ONLY, on, true, true))
                .thenEvents(new MemslotFlagsChanged(on), new DirtyBitmapAllocated(true));
        MemslotState stopped = st(logging(new SpteChanged(0x103, null, W, true))
                .when(new CommitChange(MemslotChange.KVM_MR_FLAGS_ONLY, off, true, false))
                .thenEvents(new MemslotFlagsChanged(off), new DirtyBitmapFreed()));
        assertFalse(stopped.dirtyTracked(), "what the bitmap held is never reported");
        assertEquals(W, stopped.spte(0x103), "turning logging off zaps nothing");
    }

    // kvm-semantics.md §7 and FINDINGS.md guest_move: a move of a slot that logs before and after keeps its bits
    @Test
    void aMoveOfALoggingSlotKeepsItsBitmapWithItsBits() {
        SlotGeometry moved = new SlotGeometry(0, 0x200, 16, HVA, LOG);
        MemslotState s = st(logging(new PageMarkedDirty(0x103))
                .when(new CommitChange(MemslotChange.KVM_MR_MOVE, moved, true, false))
                .thenEvents(new MemslotMoved(moved)));
        assertEquals(List.of(3L), s.dirtyBitmap().pages());
        assertEquals(0x200, s.geometry().baseGfn());
    }

    @Test
    void aDeleteForgetsTheSlotItsSptesAndItsBitmap() {
        MemslotState s = st(logging(new SpteChanged(0x103, null, W, true))
                .when(new CommitChange(MemslotChange.KVM_MR_DELETE, new SlotGeometry(0, BASE, 16, HVA, LOG), true,
                        false))
                .thenEvents(new MemslotDeleted()));
        assertFalse(s.present());
        assertFalse(s.dirtyTracked());
        assertTrue(s.sptes().isEmpty());
    }

    // ---- kvm_prepare_memory_region() / kvm_commit_memory_region(): a MOVE's bitmap as a FLAGS_ONLY's ----

    private static final long MOVED = 0x400;

    private static CommitChange move(long flags, boolean initiallySet) {
        return new CommitChange(MemslotChange.KVM_MR_MOVE, new SlotGeometry(0, MOVED, 16, HVA, flags), true,
                initiallySet);
    }

    private static MemslotMoved moved(long flags) {
        return new MemslotMoved(new SlotGeometry(0, MOVED, 16, HVA, flags));
    }

    @Test
    void aMoveThatKeepsLoggingKeepsTheBitmapAndItsBitsNowForTheNewRange() {
        for (boolean initiallySet : List.of(false, true)) {
            MemslotState after = st(logging(new PageMarkedDirty(BASE + 3)).when(move(LOG, initiallySet))
                    .thenEvents(moved(LOG)));
            assertEquals(List.of(3L), after.dirtyBitmap().pages(), "slot-relative bits kept, not set again");
            assertEquals(MOVED, after.geometry().baseGfn());
        }
    }

    @Test
    void aMoveThatTurnsLoggingOnAllocatesAFreshBitmapAllSetUnderInitiallySet() {
        MemslotState plain = st(notLogging().when(move(LOG, false))
                .thenEvents(moved(LOG), new DirtyBitmapAllocated(false)));
        assertTrue(plain.dirtyBitmap().isEmpty());
        MemslotState allSet = st(notLogging().when(move(LOG, true))
                .thenEvents(moved(LOG), new DirtyBitmapAllocated(true)));
        assertEquals(pages(0, 16), allSet.dirtyBitmap().pages());
    }

    @Test
    void aMoveThatTurnsLoggingOffFreesTheBitmap() {
        for (boolean initiallySet : List.of(false, true)) {
            MemslotState after = st(logging(new PageMarkedDirty(BASE + 3)).when(move(0, initiallySet))
                    .thenEvents(moved(0), new DirtyBitmapFreed()));
            assertFalse(after.dirtyTracked());
            // and the log is gone with it: GET and CLEAR answer ENOENT, as for a slot that never logged
            DeciderSpec.givenState(after).when(new GetDirtyLog(false)).thenErrno(Errno.ENOENT);
            DeciderSpec.givenState(after).when(new ClearDirtyLog(0, 16, null)).thenErrno(Errno.ENOENT);
        }
    }

    @Test
    void aMoveThatNeitherLogsNorLoggedHasNoBitmap() {
        assertFalse(st(notLogging().when(move(0, true)).thenEvents(moved(0))).dirtyTracked());
    }

    @Test
    void afterAMoveTurnedLoggingOnUnderInitiallySetClearDirtyLogClearsTheNewBitmap() {
        MemslotState after = st(notLogging().when(move(LOG, true))
                .thenEvents(moved(LOG), new DirtyBitmapAllocated(true)));
        MemslotState cleared = st(DeciderSpec.givenState(after).when(new ClearDirtyLog(0, 16, List.of(0L, 5L)))
                .thenEvents(new DirtyLogCleared(List.of(0L, 5L), List.of())));
        assertEquals(pages(0, 16).stream().filter(p -> p != 0 && p != 5).toList(), cleared.dirtyBitmap().pages());
    }

    @Test
    void aFlagsOnlyChangeFollowsTheSameRule() {
        SlotGeometry on = new SlotGeometry(0, BASE, 16, HVA, LOG);
        SlotGeometry off = new SlotGeometry(0, BASE, 16, HVA, 0);
        notLogging().when(new CommitChange(MemslotChange.KVM_MR_FLAGS_ONLY, on, true, true))
                .thenEvents(new MemslotFlagsChanged(on), new DirtyBitmapAllocated(true));
        logging().when(new CommitChange(MemslotChange.KVM_MR_FLAGS_ONLY, off, true, false))
                .thenEvents(new MemslotFlagsChanged(off), new DirtyBitmapFreed());
    }
}
