package kvmsim.domain.kernel.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.kernel.mmu.X86Run;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vcpu.DirtyRing;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.GuestVia;
import kvmsim.domain.vcpu.VcpuState;
import org.junit.jupiter.api.Test;

/**
 * Producing dirty-ring entries: mark_page_dirty_in_slot() -> kvm_dirty_ring_push() to the running
 * vCPU's ring (virt/kvm/kvm_main.c, dirty_ring.c), and the soft-full exit of vcpu_enter_guest()
 * (kvm_dirty_ring_check_request()). A 4096-byte ring has 256 entries and a soft limit of 192.
 */
class DirtyRingPushRulesTest {

    static final long LOG = 1;

    /** vm0 with a 4096-byte ring, {@code vcpus} vCPUs, slot 0 over 1 MiB at gpa 0 with {@code flags}. */
    static X86Run ringVm(int vcpus, long flags) {
        return new X86Run(true).step(m -> new Step.EnableCap(m, "vm0", Cap.KVM_CAP_DIRTY_LOG_RING, 0,
                List.of(4096L, 0L, 0L, 0L))).vcpus(vcpus).slot(0, flags, 0, 0x100000);
    }

    static DirtyRing ring(X86Run t, long vcpu) {
        return ((VcpuState) t.engine().state(EntityId.vcpu("vm0", vcpu))).dirtyRing();
    }

    static List<List<Long>> entries(DirtyRing r) {
        List<List<Long>> out = new ArrayList<>();
        for (long i = r.resetIndex(); i < r.dirtyIndex(); i++) {
            out.add(List.of(r.at(i).slot(), r.at(i).offset()));
        }
        return out;
    }

    @Test
    void eachVcpuGetsARingOfSizeOver16EntriesWithTheReservedOnesOffItsSoftLimit() {
        X86Run t = ringVm(2, LOG);
        t.replayWith(Map.of());
        assertEquals(256, ring(t, 1).size());
        assertEquals(192, ring(t, 1).softLimit());
        X86Run plain = new X86Run(true).vcpus(1);
        plain.replayWith(Map.of());
        assertNull(ring(plain, 0));
    }

    // make_spte(): a writable SPTE in a logging slot -> mark_page_dirty_in_slot() -> the faulting vCPU's ring
    @Test
    void aWriteFaultPushesToTheWritingVcpusRingAndNotToABitmap() {
        X86Run t = ringVm(2, LOG).run(0).run(1).write(0, 0x3000).write(1, 0x5000).write(0, 0x3000);
        t.replayWith(Map.of());
        assertEquals(List.of(List.of(0L, 3L)), entries(ring(t, 0)), "the second write hit the writable TLB entry");
        assertEquals(List.of(List.of(0L, 5L)), entries(ring(t, 1)));
        assertNull(((MemslotState) t.engine().state(EntityId.slot("vm0", 0))).dirtyBitmap());
    }

    @Test
    void aSlotThatDoesNotLogPushesNothing() {
        X86Run t = ringVm(1, 0).run(0).write(0, 0x3000);
        t.replayWith(Map.of());
        assertEquals(0, ring(t, 0).used());
    }

    // a read fault maps a writable host page writable and so dirties it (kvm-semantics.md §5); the
    // shared zero page is mapped read-only and dirties nothing
    @Test
    void aReadFaultPushesOnlyWhenItMapsThePageWritable() {
        X86Run t = ringVm(1, LOG).run(0).read(0, 0x4000);
        t.replayWith(Map.of());
        assertEquals(0, ring(t, 0).used());
        X86Run w = ringVm(1, LOG).step(m -> new Step.UserspaceWrite(m, "vm0", 0x4000, 0x1000)).run(0).read(0, 0x4000);
        w.replayWith(Map.of());
        assertEquals(List.of(List.of(0L, 4L)), entries(ring(w, 0)));
    }

    // kvm_vcpu_write_guest() runs on the vCPU: its ring; kvm_write_guest() from a VM ioctl has no running
    // vCPU: on x86 the page reaches neither a ring nor (there is none) a bitmap
    @Test
    void anEmulatedWriteGoesToTheRunningVcpuButKvmWriteGuestIsLost() {
        X86Run t = ringVm(1, LOG).run(0)
                .step(m -> new Step.GuestAccess(m, "vm0", 0, GuestAccessKind.WRITE, 0x6000, GuestVia.EMULATOR))
                .step(m -> new Step.GuestAccess(m, "vm0", 0, GuestAccessKind.WRITE, 0x6000, GuestVia.EMULATOR))
                .kvmCopy(0x7000, 8, true);
        t.replayWith(Map.of());
        assertEquals(List.of(List.of(0L, 6L), List.of(0L, 6L)), entries(ring(t, 0)), "no coalescing on push");
    }

    // kvm_dirty_ring_push() sets KVM_REQ_DIRTY_RING_SOFT_FULL at 192 used; the re-entry after that fault exits
    @Test
    void theFaultThatReachesTheSoftLimitEndsKvmRunWithDirtyRingFull() {
        X86Run t = ringVm(1, LOG).run(0);
        for (int p = 0; p < 191; p++) {
            t.write(0, (long) p << 12);
        }
        int last = t.nextLine();
        t.write(0, 191L << 12);
        int after = t.nextLine();
        t.write(0, 0x0);
        X86Run.Replayed r = t.replayWith(Map.of());
        assertEquals(GuestExit.NONE, r.at(last - 1).exit());
        assertEquals(GuestExit.KVM_EXIT_DIRTY_RING_FULL, r.at(last).exit());
        assertNull(r.at(last).errno(), "KVM_RUN returns 0");
        assertEquals(Errno.ENOEXEC, r.at(after).errno(), "the vCPU is back in userspace");
        assertEquals(192, ring(t, 0).used());
        assertFalse(((VcpuState) t.engine().state(EntityId.vcpu("vm0", 0))).inGuest());
    }

    // kvm_dirty_ring_check_request() re-arms the request: every KVM_RUN exits again without entering
    @Test
    void kvmRunOnASoftFullRingExitsAgainAndAgainWithoutEnteringAndLeavesTheFlushPending() {
        X86Run t = ringVm(1, LOG).run(0);
        for (int p = 0; p < 192; p++) {
            t.write(0, (long) p << 12);
        }
        t.invalidate(0, 0x1000); // zaps page 0 and flushes: the vCPU is outside, its flush is deferred
        int run = t.nextLine();
        t.run(0).run(0);
        X86Run.Replayed r = t.replayWith(Map.of());
        assertEquals(GuestExit.KVM_EXIT_DIRTY_RING_FULL, r.at(run).exit());
        assertEquals(GuestExit.KVM_EXIT_DIRTY_RING_FULL, r.at(run + 1).exit());
        assertNull(r.at(run + 1).errno());
        VcpuState v = (VcpuState) t.engine().state(EntityId.vcpu("vm0", 0));
        assertFalse(v.inGuest());
        assertTrue(v.flushPending(), "KVM_REQ_TLB_FLUSH is serviced after the dirty-ring check");
        assertTrue(X86Run.eventsOf(r, "vcpu/vm0/0").stream()
                .noneMatch(e -> e instanceof kvmsim.domain.vcpu.VcpuEvent.TlbFlushed), "never entered to flush");
    }
}
