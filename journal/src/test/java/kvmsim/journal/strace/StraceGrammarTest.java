package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Each form of strace's output that the importer reads, one small snippet each. */
class StraceGrammarTest {

    private static StraceLine.Call call(String line) throws Exception {
        return assertInstanceOf(StraceLine.Call.class, StraceGrammar.parse(line));
    }

    @Test
    void bothPidPrefixesAndNone() throws Exception {
        assertEquals("10497", call("10497 ioctl(3</dev/kvm>, KVM_GET_API_VERSION, 0) = 12").pid());
        assertEquals("10497", call("[pid 10497] ioctl(3, KVM_GET_API_VERSION, 0) = 12").pid());
        assertEquals("77", call("[pid    77<qemu-system-x86>] ioctl(3, KVM_GET_API_VERSION, 0) = 12").pid());
        assertEquals("77", call("77<qemu-system-x86> ioctl(3, KVM_GET_API_VERSION, 0) = 12").pid());
        assertNull(call("ioctl(3, KVM_GET_API_VERSION, 0) = 12").pid());
    }

    @Test
    void timestampsAndDurations() throws Exception {
        StraceLine.Call tt = call("10497 12:34:56.123456 ioctl(3</dev/kvm>, KVM_GET_API_VERSION, 0) = 12 <0.000021>");
        assertEquals("10497", tt.pid());
        assertEquals(12L, tt.result().value());
        StraceLine.Call ttt = call("1700000000.123456 ioctl(3, KVM_CREATE_VM, 0) = 8 <0.001000>");
        assertNull(ttt.pid());
        assertEquals(8L, ttt.result().value());
        assertEquals(List.of("3", "KVM_CREATE_VM", "0"), ttt.args());
        assertEquals("5", call("[pid 5]      0.000123 ioctl(3, KVM_RUN, 0) = 0").pid()); // -r
        assertEquals("5", call("5 12:00:01 [00007f1234567890] ioctl(3, KVM_RUN, 0) = 0").pid()); // -t -i
        assertEquals("KVM_RUN", call("[ 16] ioctl(3, KVM_RUN, 0) = 0").args().get(1)); // -n
    }

    @Test
    void fdNamesOfDashYAndDashYy() throws Exception {
        StraceLine.Call c = call("10497 ioctl(3</dev/kvm<char 10:232>>, KVM_CREATE_VM, 0) = 8<anon_inode:kvm-vm>");
        assertEquals("3</dev/kvm<char 10:232>>", c.args().get(0));
        assertEquals("anon_inode:kvm-vm", c.result().fdPath());
        assertEquals(8L, c.result().value());
    }

    @Test
    void decodedStructsStayOneArgument() throws Exception {
        StraceLine.Call c = call("10497 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0, "
                + "flags=KVM_MEM_LOG_DIRTY_PAGES|KVM_MEM_READONLY, guest_phys_addr=0, memory_size=33554432, "
                + "userspace_addr=0x7efd99200000}) = 0");
        assertEquals(3, c.args().size());
        assertEquals(List.of("slot=0", "flags=KVM_MEM_LOG_DIRTY_PAGES|KVM_MEM_READONLY", "guest_phys_addr=0",
                "memory_size=33554432", "userspace_addr=0x7efd99200000"),
                StraceGrammar.splitArgs(c.args().get(2).substring(1, c.args().get(2).length() - 1)));
    }

    @Test
    void failuresKeepTheirErrnoAndNotesAreKept() throws Exception {
        StraceLine.Result r = call("10497 ioctl(0<pipe:[18278]>, TCGETS, 0x7fffe5677cd0) = -1 ENOTTY "
                + "(Inappropriate ioctl for device)").result();
        assertEquals("ENOTTY", r.errno());
        assertEquals(-1L, r.value());
        StraceLine.Result run = call("10499 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0 (KVM_EXIT_IO)").result();
        assertEquals("KVM_EXIT_IO", run.note());
        assertNull(run.errno());
        StraceLine.Result restarted = call("5 ioctl(9, KVM_RUN, 0) = ? ERESTARTSYS (To be restarted if SA_RESTART "
                + "is set)").result();
        assertNull(restarted.value());
        assertEquals("ERESTARTSYS", restarted.errno());
        assertNull(call("5 ioctl(9, KVM_RUN, 0) = ?").result().value());
        assertEquals(0x7efd9ddc1000L, call("10497 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, "
                + "-1, 0) = 0x7efd9ddc1000").result().value());
    }

    @Test
    void unfinishedAndResumedHalvesJoinIntoOneCall() throws Exception {
        StraceLine.Unfinished u = assertInstanceOf(StraceLine.Unfinished.class,
                StraceGrammar.parse("10499 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN <unfinished ...>"));
        StraceLine.Resumed r = assertInstanceOf(StraceLine.Resumed.class,
                StraceGrammar.parse("10499 <... ioctl resumed>, 0)           = -1 EINTR (Interrupted system call)"));
        assertEquals("ioctl", r.name());
        StraceLine.Call c = StraceGrammar.join(r.pid(), u.head(), r.tail());
        assertEquals(List.of("9<anon_inode:kvm-vcpu:0>", "KVM_RUN", "0"), c.args());
        assertEquals("EINTR", c.result().errno());
    }

    @Test
    void signalsExitsAndStraceMessagesAreNoise() throws Exception {
        assertEquals(StraceLine.Noise.Kind.SIGNAL, ((StraceLine.Noise) StraceGrammar.parse(
                "10499 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=10497, si_uid=0} ---")).kind());
        assertEquals(StraceLine.Noise.Kind.EXIT, ((StraceLine.Noise) StraceGrammar.parse("10505 +++ exited with 0 +++"))
                .kind());
        assertEquals(StraceLine.Noise.Kind.EXIT, ((StraceLine.Noise) StraceGrammar.parse("+++ killed by SIGKILL +++"))
                .kind());
        assertEquals(StraceLine.Noise.Kind.STRACE_MESSAGE,
                ((StraceLine.Noise) StraceGrammar.parse("strace: Process 10498 attached")).kind());
        assertEquals(StraceLine.Noise.Kind.STACK_FRAME,
                ((StraceLine.Noise) StraceGrammar.parse(" > /usr/lib/libc.so.6(ioctl+0xb) [0x10fbb]")).kind());
    }

    @Test
    void notStraceOutputIsRefusedWithAReason() {
        assertEquals("not strace output: expected a system call such as 'ioctl(...) = 0', a signal ('--- SIG... ---') "
                + "or an exit ('+++ ... +++')",
                assertThrows(StraceGrammar.Malformed.class, () -> StraceGrammar.parse("{\"op\":\"KVM_RUN\"}")).getMessage());
        assertEquals("truncated system call: 'ioctl(' is never closed and has no result",
                assertThrows(StraceGrammar.Malformed.class, () -> StraceGrammar.parse("10497 ioctl(3</dev/kvm>, KVM_CHE"))
                        .getMessage());
        assertEquals("system call 'ioctl' without a result ('= ...' after its arguments)",
                assertThrows(StraceGrammar.Malformed.class, () -> StraceGrammar.parse("10497 ioctl(3, KVM_RUN, 0)"))
                        .getMessage());
        assertEquals("cannot read the result 'banana'",
                assertThrows(StraceGrammar.Malformed.class, () -> StraceGrammar.parse("1 ioctl(3, KVM_RUN, 0) = banana"))
                        .getMessage());
    }

    /**
     * A -T duration was stripped with {@code \\s+<\\d+\\.\\d+>$} tried at every position: quadratic
     * in a run of blanks (200,000 spaces took 271 s). Read from the end of the line, it is linear.
     */
    @Test
    void durationsAreStrippedInLinearTime() throws Exception {
        assertEquals(-1L, call("1 ioctl(3, KVM_RUN, 0) = -1 EINTR (Interrupted system call) <0.000021>").result().value());
        assertEquals(8L, call("1 ioctl(3, KVM_CREATE_VM, 0) = 8<anon_inode:kvm-vm>").result().value());
        String blanks = " ".repeat(200_000);
        long t0 = System.nanoTime();
        assertThrows(StraceGrammar.Malformed.class, () -> StraceGrammar.parse(blanks + "x"));
        assertThrows(StraceGrammar.Malformed.class, () -> StraceGrammar.parse("ioctl(3," + blanks + "KVM_RUN, 0) = 0" + blanks + "x"));
        assertEquals(List.of("3", "KVM_RUN", "0"), call("ioctl(3," + blanks + "KVM_RUN, 0) = 0" + blanks + "<0.000021>").args());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 1000, "200,000 blanks took " + ms + " ms");
    }
}
