package kvmsim.domain.kernel.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vm.VmEvent;
import org.junit.jupiter.api.Test;

/** Dirty logging on x86: the b64d740 flush under both policies, GET, CLEAR and their errnos. */
class DirtyLogTest {

    private static final long LOG = 1;
    private static final long READONLY = 2;

    private static StepResult at(X86Run.Replayed r, int line) {
        return r.steps().stream().filter(s -> s.line() == line).findFirst().orElseThrow();
    }

    private static long flushes(X86Run.Replayed r) {
        return X86Run.eventsOf(r, "vm/vm0").stream().filter(e -> e instanceof VmEvent.RemoteTlbFlushCompleted).count();
    }

    /** The seed-004 sequence: write, clear_young, enable logging, write again, GET. */
    private static X86Run seed004() {
        return new X86Run(false).vcpus(1).slot(0, 0, 0, 0x10000).run(0).write(0, 0x5000).clearYoung(0x5000, 4096)
                .slot(0, LOG, 0, 0x10000);
    }

    @Test
    void ifModifiedSkipsTheFlushWhenEverySpteIsAccessTrackedAndTheWriteIsLost() {
        X86Run t = seed004();
        int write = t.nextLine();
        t.write(0, 0x5000).getDirtyLog(0);
        X86Run.Replayed r = t.replay("if-modified");
        assertEquals(0, flushes(r), "no SPTE lost W, so no flush");
        assertEquals(GuestExit.NONE, at(r, write).exit());
        assertFalse(X86Run.eventsOf(r, "vcpu/vm0/0").stream().anyMatch(
                e -> e instanceof kvmsim.domain.vcpu.VcpuEvent.TlbFlushed), "vCPU 0 never flushed");
        assertEquals(List.of("stale-writable-tlb", "dirty-log-completeness"),
                r.violations().stream().map(v -> v.invariant()).toList());
    }

    @Test
    void unconditionalFlushMakesTheWriteFaultAndBeLogged() {
        X86Run t = seed004().write(0, 0x5000);
        X86Run.Replayed r = t.getDirtyLog(0).replay("unconditional");
        assertEquals(2, flushes(r), "one on enabling logging, one by GET after re-protecting page 5");
        assertTrue(r.violations().isEmpty(), r.violations().toString());
        MemslotState slot = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertFalse(slot.spte(5).writable(), "GET re-protected the page it reported");
        assertTrue(X86Run.eventsOf(r, "slot/vm0/0").stream().anyMatch(e -> e instanceof
                kvmsim.domain.memslot.MemslotEvent.DirtyLogReported d && d.pages().equals(List.of(5L))));
    }

    @Test
    void ifModifiedStillFlushesWhenAWritableSpteLostW() {
        X86Run.Replayed r = new X86Run(true).vcpus(1).slot(0, 0, 0, 0x10000).run(0).write(0, 0x5000).slot(0, LOG, 0, 0x10000)
                .replay("if-modified");
        assertEquals(1, flushes(r));
        assertTrue(r.violations().isEmpty());
    }

    @Test
    void getDirtyLogClearsReprotectsAndFlushesOnlyWhenSomethingWasDirty() {
        X86Run t = new X86Run(true).vcpus(1).slot(0, LOG, 0, 0x10000).run(0);
        t.getDirtyLog(0); // nothing dirty: no flush
        t.write(0, 0x3000).getDirtyLog(0).getDirtyLog(0);
        X86Run.Replayed r = t.replay("unconditional");
        assertEquals(1, flushes(r));
        MemslotState slot = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertFalse(slot.spte(3).writable());
        assertTrue(slot.spte(3).mmuWritable());
        assertTrue(slot.dirtyBitmap().isEmpty());
    }

    @Test
    void manualProtectGetOnlyCopiesAndClearReprotects() {
        X86Run t = new X86Run(true).vcpus(1).enableManualProtect(1).slot(0, LOG, 0, 0x100000).run(0).write(0, 0x3000);
        t.getDirtyLog(0).clearDirtyLog(0, 0, 64, List.of(3L));
        X86Run.Replayed r = t.replay("unconditional");
        assertEquals(1, flushes(r), "only the CLEAR flushes");
        MemslotState slot = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertFalse(slot.spte(3).writable());
        assertTrue(slot.dirtyBitmap().isEmpty());
    }

    @Test
    void initiallySetStartsAllDirtyAndWriteProtectsNothing() {
        X86Run t = new X86Run(true).vcpus(1).enableManualProtect(3).slot(0, 0, 0, 0x4000).run(0).write(0, 0x1000)
                .slot(0, LOG, 0, 0x4000);
        X86Run.Replayed r = t.replay("unconditional");
        assertEquals(0, flushes(r));
        MemslotState slot = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertEquals(List.of(0L, 1L, 2L, 3L), slot.dirtyBitmap().pages());
        assertTrue(slot.spte(1).writable());
    }

    @Test
    void dirtyLogErrnos() {
        X86Run t = new X86Run(true).vcpus(1).slot(0, LOG, 0, 0x80000).slot(1, 0, 0x100000, 0x1000);
        int first = t.nextLine();
        t.getDirtyLog(1) // no logging: ENOENT
                .getDirtyLog(5) // no slot: ENOENT
                .getDirtyLog(32764) // id out of range: EINVAL
                .getDirtyLog(2L << 16) // as_id 2: EINVAL (x86 with SMM has two)
                .clearDirtyLog(0, 1, 64, null) // first_page & 63
                .clearDirtyLog(0, 64, 128, null) // past the end
                .clearDirtyLog(0, 0, 32, null) // not a multiple of 64 short of the end
                .clearDirtyLog(0, 128, 0, null) // nothing at the very end: fine
                .clearDirtyLog(1, 0, 1, null) // no logging: ENOENT
                .clearDirtyLog(1L << 16, 0, 64, null); // as_id 1 exists (SMM) but holds no slot: ENOENT
        X86Run.Replayed r = t.replay("unconditional");
        List<String> expected = List.of("ENOENT", "ENOENT", "EINVAL", "EINVAL", "EINVAL", "EINVAL", "EINVAL", "ok",
                "ENOENT", "ENOENT");
        for (int i = 0; i < expected.size(); i++) {
            Errno got = at(r, first + i).errno();
            assertEquals(expected.get(i), got == null ? "ok" : got.name(), "line " + (first + i));
        }
    }

    @Test
    void manualProtectCapErrnos() {
        X86Run t = new X86Run(true);
        int first = t.nextLine();
        t.enableManualProtect(2).enableManualProtect(4).enableManualProtect(5).enableManualProtect(3)
                .enableManualProtect(0);
        X86Run.Replayed r = t.replay("unconditional");
        assertEquals(Errno.EINVAL, at(r, first).errno(), "INITIALLY_SET without ENABLE");
        assertEquals(Errno.EINVAL, at(r, first + 1).errno(), "an unknown bit");
        assertEquals(Errno.EINVAL, at(r, first + 2).errno(), "an unknown bit with ENABLE");
        assertEquals(null, at(r, first + 3).errno());
        assertEquals(null, at(r, first + 4).errno(), "it can be turned off again");
    }

    @Test
    void aReadFaultLogsAPageOnlyWhenTheHostAlreadyMapsItWritable() {
        X86Run t = new X86Run(true).vcpus(1).slot(0, LOG, 0, 0x10000).userspaceWrite(0x2000, 4096).run(0)
                .read(0, 0x1000).read(0, 0x2000);
        t.replay("unconditional");
        MemslotState slot = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertEquals(List.of(2L), slot.dirtyBitmap().pages(), "the zero page maps read-only; page 2 maps writable");
        assertFalse(slot.spte(1).hostWritable());
    }

    @Test
    void theVmmWritingAZeroPageMappingZapsTheSpte() {
        X86Run t = new X86Run(true).vcpus(1).slot(0, LOG, 0, 0x10000).run(0).read(0, 0x5000).userspaceWrite(0x5000, 8);
        X86Run.Replayed r = t.replay("unconditional");
        MemslotState slot = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertEquals(null, slot.spte(5));
        assertEquals(1, flushes(r));
    }

    @Test
    void writesToReadonlySlotsAndOutsideSlotsExitToUserspaceAsMmio() {
        X86Run t = new X86Run(true).vcpus(1).slot(0, READONLY, 0, 0x10000).run(0);
        int first = t.nextLine();
        t.write(0, 0x1000).read(0, 0x1000).write(0, 0x900000);
        X86Run.Replayed r = t.replay("unconditional");
        assertEquals(GuestExit.KVM_EXIT_MMIO, at(r, first).exit());
        assertEquals(GuestExit.NONE, at(r, first + 1).exit());
        assertEquals(GuestExit.KVM_EXIT_MMIO, at(r, first + 2).exit());
        MemslotState slot = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertFalse(slot.spte(1).hostWritable());
    }

    @Test
    void clearYoungWithAdBitsChangesNoSpteAndInvalidateZapsAndFlushes() {
        X86Run t = new X86Run(true).vcpus(1).slot(0, 0, 0, 0x10000).run(0).write(0, 0x1000).clearYoung(0, 0x10000);
        X86Run.Replayed r = t.replay("unconditional");
        MemslotState slot = (MemslotState) t.engine().state(EntityId.slot("vm0", 0));
        assertFalse(slot.spte(1).accessTracked());
        assertEquals(0, flushes(r));

        X86Run u = new X86Run(false).vcpus(1).slot(0, 0, 0, 0x10000).run(0).write(0, 0x1000).invalidate(0, 0x2000);
        X86Run.Replayed ru = u.replay("unconditional");
        assertEquals(null, ((MemslotState) u.engine().state(EntityId.slot("vm0", 0))).spte(1));
        assertEquals(1, flushes(ru));
    }
}
