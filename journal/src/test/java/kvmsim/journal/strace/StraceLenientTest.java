package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import kvmsim.domain.abi.Arch;
import org.junit.jupiter.api.Test;

/** --lenient: a line that cannot be read is skipped, named in a warning, counted; without it, it stops the import. */
class StraceLenientTest {

    private static final String NOT_STRACE = "not strace output: expected a system call such as 'ioctl(...) = 0', a "
            + "signal ('--- SIG... ---') or an exit ('+++ ... +++')";

    /** A terminal session pasted into an issue: the prompt, strace's ^C, and the line it cut. */
    static final String[] TERMINAL_PASTE = {
        "```console",
        "$ sudo strace -f -y -e trace=ioctl -p 4721",
        "strace: Process 4721 attached with 3 threads",
        "[pid  4723] ioctl(11<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0",
        "[pid  4723] ioctl(11<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = -1 EINTR (Interrupted system call)",
        "^Cstrace: Process 4721 detached",
        "[pid  4723] ioctl(11<anon_inode:kvm-vcpu:0>, KVM_RUN, 0",
        "```",
    };

    @Test
    void eachUnreadableLineIsSkippedWithAWarningAndCounted() throws Exception {
        StraceImports i = StraceImports.run(null, true, TERMINAL_PASTE);
        assertEquals(List.of("rec.strace:2: skipped: " + NOT_STRACE, "rec.strace:6: skipped: " + NOT_STRACE,
                "rec.strace:7: skipped: truncated system call: 'ioctl(' is never closed and has no result"),
                i.warnings());
        assertEquals(3, i.summary().unreadable());
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0", "KVM_CREATE_VCPU vm0/0", "KVM_RUN vm0/0 ret=0", "KVM_RUN vm0/0"),
                i.steps());
        assertTrue(i.trace().contains("# strace:2: skipped, cannot be read: " + NOT_STRACE
                + ": $ sudo strace -f -y -e trace=ioctl -p 4721\n"), i.trace());
        assertTrue(i.trace().contains("; 3 lines skipped that cannot be read;"), i.trace());
        assertTrue(i.trace().startsWith("# kvmsim trace imported by `kvmsim import-strace --arch x86_64 --lenient` from "
                + "rec.strace\n"), i.trace());
    }

    @Test
    void withoutLenientTheFirstUnreadableLineStopsTheImport() {
        StraceFormatException e = assertThrows(StraceFormatException.class,
                () -> StraceImports.run(null, false, TERMINAL_PASTE));
        assertEquals("rec.strace:2: " + NOT_STRACE, e.getMessage());
        assertTrue(e.lineCanBeSkipped(), "--lenient would skip it");
    }

    /** What the importer refuses (not only the grammar) is a line to skip too; a wrapped line is named by its lines. */
    @Test
    void linesTheImporterRefusesAndWrappedLinesAreSkippedWhole() throws Exception {
        StraceImports i = StraceImports.run(Arch.X86_64, true, "mmap(NULL, 4096) = 0x1000",
                "ioctl(x, KVM_RUN, 0) = 0", "ioctl(3, KVM_CREATE_VM,", "0) = banana", "ioctl(3, KVM_CREATE_VM, 0) = 8");
        assertEquals(List.of("rec.strace:1: skipped: mmap takes 6 arguments, got 2",
                "rec.strace:2: skipped: 'x' is not a file descriptor",
                "rec.strace:3: skipped: cannot read the result 'banana' (lines 3-4, joined as one wrapped line)"),
                i.warnings());
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0"), i.steps());
        StraceFormatException e = assertThrows(StraceFormatException.class, () -> StraceImports.run(Arch.X86_64,
                false, "ioctl(3, KVM_CREATE_VM,", "0) = banana"));
        assertEquals("rec.strace:1: cannot read the result 'banana' (lines 1-2, joined as one wrapped line)",
                e.getMessage());
    }

    /** A line that is not UTF-8 is named by its own number (it used to be the next line's). */
    @Test
    void aLineThatIsNotUtf8() throws Exception {
        ByteArrayOutputStream rec = new ByteArrayOutputStream();
        rec.writeBytes("ioctl(3, KVM_CREATE_VM, 0) = 8\n".getBytes(StandardCharsets.UTF_8));
        rec.writeBytes(new byte[] {'#', ' ', (byte) 0xe9, '\n'}); // a Latin-1 comment
        rec.writeBytes("ioctl(8, KVM_CREATE_VCPU, 0) = 9\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("rec.strace:2: not valid UTF-8", assertThrows(StraceFormatException.class,
                () -> StraceImports.run(null, false, rec.toByteArray())).getMessage());
        StraceImports i = StraceImports.run(null, true, rec.toByteArray());
        assertEquals(List.of("rec.strace:2: skipped: not valid UTF-8"), i.warnings());
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "KVM_CREATE_VCPU vm0/0 ret=0"), i.steps());
    }

    @Test
    void aLenientImportOfAGoodRecordingSkipsNothing() throws Exception {
        StraceImports i = StraceImports.run(null, true, StraceFragmentsTest.FIRECRACKER_EXCERPT);
        assertEquals(0, i.summary().unreadable());
        assertTrue(i.warnings().isEmpty());
        assertFalse(i.trace().contains("cannot be read"));
    }
}
