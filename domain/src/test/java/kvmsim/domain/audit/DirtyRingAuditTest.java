package kvmsim.domain.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Event;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.memslot.Spte;
import kvmsim.domain.vcpu.DirtyRing.DirtyGfn;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.VcpuEvent;
import org.junit.jupiter.api.Test;

/**
 * dirty-log-completeness with a dirty ring, over histories the auditor is given: one the x86 model
 * writes (the reset flushes, the next write faults and pushes), and one a kernel whose
 * KVM_RESET_DIRTY_RINGS forgot kvm_flush_remote_tlbs() would write, where the second write goes
 * through the stale writable TLB entry and reaches no ring.
 */
class DirtyRingAuditTest {

    private static final EntityId SLOT = EntityId.slot("vm0", 0);
    private static final EntityId VCPU = EntityId.vcpu("vm0", 0);
    private static final long LOG = 1;
    private static final Spte WRITABLE = Spte.make(true);

    private final Auditor auditor = new Auditor();
    private final List<Violation> seen = new ArrayList<>();

    private void at(int line, EntityId id, Event e) {
        seen.addAll(auditor.observe(id, new Recorded(line, e)));
    }

    private void endStep(int line) {
        seen.addAll(auditor.endStep(line));
    }

    /** Lines 1-4: a logging slot, vCPU 0 with a ring in the guest, whose write to page 3 faults and pushes. */
    private void firstWriteHarvested() {
        at(1, SLOT, new MemslotEvent.MemslotCreated(new SlotGeometry(0, 0, 16, 0x7f0000000000L, LOG)));
        at(2, VCPU, new VcpuEvent.VcpuCreated());
        at(2, VCPU, new VcpuEvent.DirtyRingAllocated(4096));
        at(3, VCPU, new VcpuEvent.VcpuEnteredGuest());
        write(4, 3, false);
        at(5, VCPU, new VcpuEvent.DirtyGfnsHarvested(List.of(new DirtyGfn(1, 0, 3))));
        endStep(5);
    }

    /** A guest write to page {@code page}: a fault that makes the SPTE writable and pushes, or a TLB hit. */
    private void write(int line, long page, boolean tlbHit) {
        if (!tlbHit) {
            at(line, SLOT, new MemslotEvent.SpteChanged(page, null, WRITABLE, false));
            at(line, VCPU, new VcpuEvent.DirtyRingPushed(0, page));
            at(line, VCPU, new VcpuEvent.TlbFilled(page, true));
        }
        at(line, VCPU, new VcpuEvent.GuestAccessed(GuestAccessKind.WRITE, page << 12, 0, 0x7f0000000L + page,
                GuestExit.NONE, !tlbHit, tlbHit));
        endStep(line);
    }

    /** KVM_RESET_DIRTY_RINGS resetting {@code pages}, flushing vCPU 0's TLB or not. */
    private void reset(int line, boolean flush, long... pages) {
        List<DirtyGfn> gfns = new ArrayList<>();
        List<Long> gfnList = new ArrayList<>();
        for (long p : pages) {
            gfns.add(new DirtyGfn(3, 0, p));
            gfnList.add(p);
        }
        at(line, VCPU, new VcpuEvent.DirtyRingReset(gfns));
        at(line, SLOT, new MemslotEvent.GfnsWriteProtected(gfnList, gfnList));
        if (flush) {
            at(line, VCPU, new VcpuEvent.TlbFlushed(1, 1));
        }
        endStep(line);
    }

    @Test
    void aResetThatFlushesLeavesEveryWriteInARing() {
        firstWriteHarvested();
        reset(6, true, 3);
        write(7, 3, false); // the TLB is empty: the write faults and pushes again
        at(8, VCPU, new VcpuEvent.DirtyGfnsHarvested(List.of(new DirtyGfn(1, 0, 3))));
        reset(9, true, 3);
        assertEquals(List.of(), seen);
    }

    // between the harvest and the reset the page is still writable: a write then is copied after the reset
    @Test
    void aWriteBetweenHarvestAndResetIsAccountedForByTheEntryNotYetReset() {
        firstWriteHarvested();
        write(6, 3, true);
        reset(7, true, 3);
        assertEquals(List.of(), seen);
    }

    @Test
    void aWriteThroughAStaleWritableTlbEntryAfterAResetWithoutFlushIsLost() {
        firstWriteHarvested();
        reset(6, false, 3);
        assertEquals(List.of("stale-writable-tlb"), seen.stream().map(Violation::invariant).toList());
        seen.clear();
        write(7, 3, true); // the stale entry: no fault, no push
        write(8, 5, false); // another page, so that the next reset resets something
        at(9, VCPU, new VcpuEvent.DirtyGfnsHarvested(List.of(new DirtyGfn(1, 0, 5))));
        reset(10, true, 5);
        assertEquals(1, seen.size(), seen.toString());
        Violation v = seen.get(0);
        assertEquals("dirty-log-completeness", v.invariant());
        assertEquals(List.of(2, 4, 6, 7, 10), v.chain().stream().map(ChainLink::line).toList(),
                "ring, the fill, the reset that took W away, the write, the reset that missed it");
    }

    // a later fault that pushes the page again takes the lost write with it
    @Test
    void aLaterPushOfThePageAccountsForTheEarlierWrite() {
        firstWriteHarvested();
        reset(6, false, 3);
        seen.clear();
        write(7, 3, true);
        at(8, VCPU, new VcpuEvent.TlbFlushed(2, 1));
        write(9, 3, false);
        at(10, VCPU, new VcpuEvent.DirtyGfnsHarvested(List.of(new DirtyGfn(1, 0, 3))));
        reset(11, true, 3);
        assertTrue(seen.isEmpty(), seen.toString());
    }

    // a reset reports the writes no ring holds in the order of the writes, and so does a copy of the auditor (explore folds
    // each step into a copy of its state's) after its map of such writes grew and shrank
    @Test
    void aCopyReportsTheWritesAResetMissedInTheOrderTheOriginalDoesTheOrderOfTheWrites() {
        at(1, SLOT, new MemslotEvent.MemslotCreated(new SlotGeometry(0, 0, 1 << 20, 0x7f0000000000L, LOG)));
        at(2, VCPU, new VcpuEvent.VcpuCreated());
        at(2, VCPU, new VcpuEvent.DirtyRingAllocated(4096));
        at(3, VCPU, new VcpuEvent.VcpuEnteredGuest());
        List<Long> pages = new ArrayList<>();
        for (int i = 0; i < 96; i++) {
            pages.add((i * 7919L) % 100_003 * 5); // spread over the slot, not in order
        }
        int line = 4;
        for (long p : pages) {
            write(line++, p, false);
        }
        List<DirtyGfn> harvested = pages.stream().map(p -> new DirtyGfn(1, 0, p)).toList();
        at(line, VCPU, new VcpuEvent.DirtyGfnsHarvested(harvested));
        endStep(line++);
        reset(line++, false, pages.stream().mapToLong(Long::longValue).toArray());
        seen.clear();
        List<Integer> lostWrites = new ArrayList<>();
        for (long p : pages) {
            lostWrites.add(line);
            write(line++, p, true); // through the stale entries: no ring holds them
        }
        for (long p : pages.subList(5, pages.size())) {
            write(line++, p, false); // all but five pushed again after all
        }
        at(line, VCPU, new VcpuEvent.DirtyGfnsHarvested(harvested.subList(5, harvested.size())));
        endStep(line++);
        assertEquals(List.of(), seen);

        Auditor copy = auditor.copy();
        Recorded reset = new Recorded(line, new VcpuEvent.DirtyRingReset(harvested.subList(5, harvested.size()).stream()
                .map(g -> new DirtyGfn(3, g.slot(), g.offset())).toList()));
        List<Violation> fromCopy = copy.observe(VCPU, reset);
        List<Violation> fromOriginal = auditor.observe(VCPU, reset);
        assertEquals(5, fromOriginal.size());
        assertTrue(fromOriginal.stream().allMatch(v -> v.invariant().equals("dirty-log-completeness")));
        assertEquals(fromOriginal, fromCopy);
        assertEquals(lostWrites.subList(0, 5),
                fromOriginal.stream().map(v -> v.chain().get(v.chain().size() - 2).line()).toList(),
                "in the order of the writes");
    }
}
