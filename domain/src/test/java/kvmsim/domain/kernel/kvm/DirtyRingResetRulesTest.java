package kvmsim.domain.kernel.kvm;

import static kvmsim.domain.kernel.kvm.DirtyRingPushRulesTest.LOG;
import static kvmsim.domain.kernel.kvm.DirtyRingPushRulesTest.ring;
import static kvmsim.domain.kernel.kvm.DirtyRingPushRulesTest.ringVm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.kernel.mmu.X86Run;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vm.VmEvent;
import org.junit.jupiter.api.Test;

/**
 * Harvesting a ring as the VMM does (read from its index while entries are dirty, mark them
 * KVM_DIRTY_GFN_F_RESET) and KVM_RESET_DIRTY_RINGS (kvm_vm_ioctl_reset_dirty_pages() ->
 * kvm_dirty_ring_reset() -> kvm_reset_dirty_gfn()): what it counts, re-protects and flushes.
 */
class DirtyRingResetRulesTest {

    private static StepMeta with(StepMeta m, Expect e) {
        return new StepMeta(m.line(), m.thread(), e);
    }

    private static Expect harvested(List<List<Long>> pairs) {
        return new Expect(0L, null, null, null, null, null, pairs);
    }

    private static Expect ret(long ret) {
        return new Expect(ret, null, null, null, null, null);
    }

    private static X86Run harvest(X86Run t, long vcpu, Long count, Expect e) {
        return t.step(m -> new Step.DirtyRingHarvest(with(m, e), "vm0", vcpu, count));
    }

    private static X86Run reset(X86Run t, Expect e) {
        return t.step(m -> new Step.ResetDirtyRings(with(m, e), "vm0"));
    }

    private static long flushes(X86Run.Replayed r) {
        return X86Run.eventsOf(r, "vm/vm0").stream().filter(e -> e instanceof VmEvent.RemoteTlbFlushRequested)
                .count();
    }

    private static void noMismatch(X86Run.Replayed r) {
        for (StepResult s : r.steps()) {
            assertEquals(List.of(), s.mismatches(), "line " + s.line());
        }
    }

    private static MemslotState slot0(X86Run t) {
        return (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
    }

    @Test
    void aHarvestReadsInRingOrderUpToCountAndNeverTheSameEntryTwice() {
        X86Run t = ringVm(1, LOG).run(0).write(0, 0x3000).write(0, 0x1000).write(0, 0x2000);
        harvest(t, 0, 2L, harvested(List.of(List.of(0L, 3L), List.of(0L, 1L))));
        harvest(t, 0, null, harvested(List.of(List.of(0L, 2L))));
        harvest(t, 0, null, harvested(List.of()));
        X86Run.Replayed r = t.replayWith(Map.of());
        noMismatch(r);
        assertEquals(3, ring(t, 0).fetchIndex());
        assertTrue(ring(t, 0).at(0).harvested());
    }

    @Test
    void aWrongHarvestedExpectationIsAMismatch() {
        X86Run t = ringVm(1, LOG).run(0).write(0, 0x3000);
        harvest(t, 0, null, harvested(List.of(List.of(0L, 4L))));
        X86Run.Replayed r = t.replayWith(Map.of());
        assertEquals("harvested", r.steps().get(r.steps().size() - 1).mismatches().get(0).key());
    }

    @Test
    void aVcpuWithoutARingHasNothingToHarvestAndAVmWithoutOneCannotReset() {
        X86Run t = new X86Run(true).vcpus(1);
        int h = t.nextLine();
        harvest(t, 0, null, Expect.NONE);
        int missing = t.nextLine();
        harvest(t, 7, null, Expect.NONE);
        int rs = t.nextLine();
        reset(t, Expect.NONE);
        X86Run.Replayed r = t.replayWith(Map.of());
        assertEquals(Errno.EINVAL, r.at(h).errno());
        assertEquals(Errno.EBADF, r.at(missing).errno());
        assertEquals(Errno.EINVAL, r.at(rs).errno(), "!kvm->dirty_ring_size");
    }

    // kvm_dirty_ring_reset() stops at the first entry without KVM_DIRTY_GFN_F_RESET; the ioctl returns the count
    @Test
    void resetReturnsHowManyHarvestedEntriesItFreedAndStopsAtTheFirstUnharvested() {
        X86Run t = ringVm(2, LOG).run(0).run(1).write(0, 0x3000).write(0, 0x4000).write(1, 0x5000);
        harvest(t, 0, 1L, harvested(List.of(List.of(0L, 3L))));
        harvest(t, 1, null, harvested(List.of(List.of(0L, 5L))));
        reset(t, ret(2));
        reset(t, ret(0));
        X86Run.Replayed r = t.replayWith(Map.of());
        noMismatch(r);
        assertEquals(1, ring(t, 0).used(), "page 4 was never harvested");
        assertEquals(0, ring(t, 1).used());
        assertFalse(slot0(t).spte(3).writable(), "re-protected");
        assertTrue(slot0(t).spte(4).writable(), "not harvested, not re-protected");
        assertFalse(slot0(t).spte(5).writable());
        assertEquals(1, flushes(r), "kvm_flush_remote_tlbs() only when something was reset");
    }

    // consecutive entries of a slot within 64 pages (the window may slide down) make one
    // kvm_arch_mmu_enable_log_dirty_pt_masked() call
    @Test
    void resetCoalescesEntriesOfOneSlotWithinA64PageWindow() {
        X86Run t = ringVm(1, LOG).run(0).write(0, 0x3000).write(0, 0x5000).write(0, 0x2000).write(0, 0x64000);
        harvest(t, 0, null, Expect.NONE);
        reset(t, ret(4));
        X86Run.Replayed r = t.replayWith(Map.of());
        noMismatch(r);
        List<List<Long>> batches = X86Run.eventsOf(r, "slot/vm0/0").stream()
                .filter(e -> e instanceof MemslotEvent.GfnsWriteProtected)
                .map(e -> ((MemslotEvent.GfnsWriteProtected) e).gfns()).toList();
        assertEquals(List.of(List.of(2L, 3L, 5L), List.of(100L)), batches);
    }

    // kvm_reset_dirty_gfn(): an entry whose slot is gone is counted, and re-protects nothing
    @Test
    void anEntryOfADeletedSlotIsCountedButReprotectsNothing() {
        X86Run t = ringVm(1, LOG).slot(1, LOG, 0x200000, 0x10000).run(0).write(0, 0x201000);
        harvest(t, 0, null, harvested(List.of(List.of(1L, 1L))));
        t.slot(1, 0, 0x200000, 0);
        reset(t, ret(1));
        X86Run.Replayed r = t.replayWith(Map.of());
        noMismatch(r);
        assertTrue(X86Run.eventsOf(r, "slot/vm0/1").stream().noneMatch(e -> e instanceof MemslotEvent.GfnsWriteProtected));
    }

    // the reset frees ring space: KVM_RUN enters again, and a write to a re-protected page faults and pushes again
    @Test
    void afterAResetBelowTheSoftLimitKvmRunEntersAndTheNextWritePushesAgain() {
        X86Run t = ringVm(1, LOG).run(0);
        for (int p = 0; p < 192; p++) {
            t.write(0, (long) p << 12);
        }
        harvest(t, 0, null, Expect.NONE);
        reset(t, ret(192));
        int run = t.nextLine();
        t.run(0);
        int write = t.nextLine();
        t.write(0, 0x5000);
        X86Run.Replayed r = t.replayWith(Map.of());
        noMismatch(r);
        assertNull(r.at(run).exit());
        assertNull(r.at(run).errno());
        assertEquals(GuestExit.NONE, r.at(write).exit());
        assertEquals(1, ring(t, 0).used());
        assertEquals(List.of(0L, 5L), List.of(ring(t, 0).at(192).slot(), ring(t, 0).at(192).offset()));
        assertTrue(r.violations().isEmpty(), r.violations().toString());
    }
}
