package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import kvmsim.journal.io.LineReader;
import org.junit.jupiter.api.Test;

/** The joining stage: which lines are the wrapped pieces of the line before, and which start a line. */
class StraceWrapTest {

    /** The lines the reader hands on: "first-last text" for each line of strace output, "first kind" for a skipped one. */
    static List<String> read(String... lines) throws Exception {
        List<String> out = new ArrayList<>();
        LineReader in = LineReader.of(new ByteArrayInputStream(String.join("\n", lines).getBytes(StandardCharsets.UTF_8)));
        StraceReader.read(in, new StraceReader.Lines() {
            @Override
            public void skipped(int line, LineCleaner.Kind kind) {
                out.add(line + " " + kind);
            }

            @Override
            public void line(LineJoiner.Joined line) {
                out.add(line.lines() + " " + line.text());
            }

            @Override
            public void undecodable(int line) {
                out.add(line + " undecodable");
            }
        });
        return out;
    }

    /** A QEMU line as Thunderbird sends it, wrapped at 72 columns: one line again, with the spaces it lost. */
    @Test
    void aLineWrappedAt72ColumnsIsJoined() throws Exception {
        assertEquals(List.of("1-3 4721  ioctl(10<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0, flags=0, "
                + "guest_phys_addr=0, memory_size=2147483648, userspace_addr=0x7f3a40000000}) = 0",
                "4 4721  ioctl(10<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 11<anon_inode:kvm-vcpu:0>"),
                read("4721  ioctl(10<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0,",
                        "flags=0, guest_phys_addr=0, memory_size=2147483648,",
                        "userspace_addr=0x7f3a40000000}) = 0",
                        "4721  ioctl(10<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 11<anon_inode:kvm-vcpu:0>"));
    }

    @Test
    void aResultWrappedInsideItsErrnoTextIsJoinedToo() throws Exception {
        assertEquals(List.of("1-4 4721  ioctl(10<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=1, "
                + "flags=KVM_MEM_LOG_DIRTY_PAGES, guest_phys_addr=0x100000, memory_size=1048576, "
                + "userspace_addr=0x7f3a40000000}) = -1 EEXIST (File exists)"),
                read("4721  ioctl(10<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=1,",
                        "flags=KVM_MEM_LOG_DIRTY_PAGES, guest_phys_addr=0x100000,",
                        "memory_size=1048576, userspace_addr=0x7f3a40000000}) = -1 EEXIST (File",
                        "exists)"));
        assertEquals(List.of("1-2 ioctl(3, KVM_RUN, 0) = 0", "3 ioctl(3, KVM_RUN, 0) = 0"),
                read("ioctl(3, KVM_RUN, 0)", "= 0", "ioctl(3, KVM_RUN, 0) = 0"));
    }

    @Test
    void quotedWrappedLinesAndUnfinishedHalves() throws Exception {
        assertEquals(List.of("1 BLANK", "2-3 4721  mmap(NULL, 2147483648, PROT_READ|PROT_WRITE, "
                + "MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x7f3a40000000",
                "4-5 4723  ioctl(12<anon_inode:kvm-vcpu:0>, KVM_RUN <unfinished ...>",
                "6-7 4723  <... ioctl resumed>, 0) = -1 EINTR (Interrupted system call)"),
                read(">", "> 4721  mmap(NULL, 2147483648, PROT_READ|PROT_WRITE,",
                        "> MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x7f3a40000000",
                        "> 4723  ioctl(12<anon_inode:kvm-vcpu:0>, KVM_RUN",
                        "> <unfinished ...>",
                        "> 4723  <... ioctl resumed>, 0) = -1 EINTR (Interrupted system",
                        "> call)"));
    }

    /** A piece may begin with a name and '(' of its own: system call names are lower case, macros are not. */
    @Test
    void aPieceStartingWithAMacroIsStillAPiece() throws Exception {
        assertEquals(List.of("1-2 4721  ioctl(10<anon_inode:kvm-vm>, _IOC(_IOC_READ|_IOC_WRITE, 0xae, 0xd6, 0x10), "
                + "0x7ffd5e0) = 0"),
                read("4721  ioctl(10<anon_inode:kvm-vm>,",
                        "_IOC(_IOC_READ|_IOC_WRITE, 0xae, 0xd6, 0x10), 0x7ffd5e0) = 0"));
    }

    @Test
    void signalsWrapToo() throws Exception {
        assertEquals(List.of("1-2 4723  --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=4721, si_uid=0} ---"),
                read("4723  --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=4721,", "si_uid=0} ---"));
    }

    /** What is not a piece: a line strace starts (pid, call, signal, exit), a skipped line, the end. */
    @Test
    void anUnfinishedLineIsHandedOnAsItIsWhenNoPieceFollows() throws Exception {
        assertEquals(List.of("1 4721  ioctl(10<anon_inode:kvm-vm>, KVM_CREATE_VCPU,",
                "2 4722  ioctl(10<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 1) = 12", "3 ioctl(9, KVM_RUN,",
                "4 ELISION", "5 flags=0) = 0", "6 mmap(NULL, 4096,", "7 +++ exited with 0 +++", "8 ioctl(3,"),
                read("4721  ioctl(10<anon_inode:kvm-vm>, KVM_CREATE_VCPU,",
                        "4722  ioctl(10<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 1) = 12",
                        "ioctl(9, KVM_RUN,", "[...]", "flags=0) = 0", "mmap(NULL, 4096,", "+++ exited with 0 +++",
                        "ioctl(3,"));
        assertEquals(List.of("1 ioctl(3, KVM_RUN, 0) = 0", "2 flags=0, guest_phys_addr=0"),
                read("ioctl(3, KVM_RUN, 0) = 0", "flags=0, guest_phys_addr=0"), "no piece of a finished line");
    }

    @Test
    void aWrappedLineGrowsNoFurtherThanItsBound() throws Exception {
        String piece = "x".repeat(LineJoiner.MAX_CHARS / 3);
        List<String> out = read("ioctl(3, KVM_RUN, " + piece, piece, piece);
        assertEquals(List.of("1-2", "3"), out.stream().map(l -> l.substring(0, l.indexOf(' '))).toList());
    }

    @Test
    void straceStartsALineAsTheGrammarReadsIt() {
        assertEquals(StraceGrammar.Start.CALL, StraceGrammar.opening("[pid 12] 12:00:01.000001 ioctl(3,").start());
        assertEquals(StraceGrammar.Start.CALL, StraceGrammar.opening("1700000000.123 [00007f1234567890] mmap(").start());
        assertEquals(StraceGrammar.Start.RESUMED, StraceGrammar.opening("5 <... ioctl resumed>, 0) = 0").start());
        assertEquals(StraceGrammar.Start.SIGNAL, StraceGrammar.opening("5 --- stopped by SIGSTOP ---").start());
        assertEquals(StraceGrammar.Start.EXIT, StraceGrammar.opening("+++ killed by SIGKILL +++").start());
        assertEquals(StraceGrammar.Start.MESSAGE, StraceGrammar.opening("strace: Process 5 attached").start());
        for (String piece : new String[] {"KVM_CAP_IRQCHIP) = 1", "_IOC(0, 0xae, 0x3, 0)", "0 <0.000021>",
                "--- snip ---", "exists)", "12 flags=0"}) {
            assertEquals(StraceGrammar.Start.NONE, StraceGrammar.opening(piece).start(), piece);
        }
    }
}
