package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import kvmsim.actors.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** import-strace as a user meets it, and an imported recording as a conformance test of the model. */
class ImportStraceCliTest {

    private static final String RECORDING = String.join("\n",
            "10497 ioctl(3</dev/kvm>, KVM_CREATE_VM, 0) = 8<anon_inode:kvm-vm>",
            "10497 mmap(NULL, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
            "10497 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0, flags=0, guest_phys_addr=0, "
                    + "memory_size=65536, userspace_addr=0x7f0000000000}) = 0",
            "10497 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=1, flags=0, guest_phys_addr=0x8000, "
                    + "memory_size=65536, userspace_addr=0x7f0000000000}) = -1 EEXIST (File exists)",
            "10497 ioctl(8<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 9<anon_inode:kvm-vcpu:0>",
            "10499 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0",
            "10497 ioctl(8<anon_inode:kvm-vm>, KVM_IRQ_LINE_STATUS, 0x7ffd) = 0",
            "10497 ioctl(8<anon_inode:kvm-vm>, KVM_GET_DIRTY_LOG, 0x7ffd) = 0", "");

    @Test
    void importsToStdoutAndTheTraceReplaysInBothEngines(@TempDir Path dir) throws Exception {
        Path rec = Files.writeString(dir.resolve("qemu.strace"), RECORDING);
        Cli.Result imported = kvmsim("import-strace", rec.toString());
        assertEquals(0, imported.status(), imported.err());
        assertEquals(rec + ": 8 strace lines -> 9 steps (7 modelled, 2 IOCTL passed through), 0 results not judged; "
                + "no arch-specific ioctl: assumed x86_64; use --arch\n", imported.err());
        Path trace = Files.writeString(dir.resolve("qemu.trace"), imported.out());
        for (String engine : List.of("reference", "actors")) {
            Cli.Result r = kvmsim("replay", "-q", "--engine", engine, "--journal", "h2:" + dir.resolve("j"),
                    trace.toString());
            assertEquals(0, r.status(), r.out());
            assertTrue(r.out().contains(trace + ": passed through, not modelled: KVM_GET_DIRTY_LOG=1 "
                    + "KVM_IRQ_LINE_STATUS=1\n"), r.out());
            assertTrue(r.out().contains(trace + ": 9 steps (7 modelled, 2 passed through), 0 mismatches"), r.out());
        }
    }

    /** A recording whose kernel said something the model does not: the imported trace fails, exit 1. */
    @Test
    void aDisagreementWithTheRecordedKernelIsAMismatch(@TempDir Path dir) throws Exception {
        Path rec = Files.writeString(dir.resolve("odd.strace"), RECORDING.replace("= -1 EEXIST (File exists)", "= 0"));
        Path trace = dir.resolve("odd.trace");
        assertEquals(0, kvmsim("import-strace", "-o", trace.toString(), rec.toString()).status());
        Cli.Result r = kvmsim("replay", "-q", "--engine", "reference", trace.toString());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("KVM_SET_USER_MEMORY_REGION   -EEXIST  MISMATCH ret: expected 0, got -1 (EEXIST)"),
                r.out());
    }

    @Test
    void readsStandardInputAndWritesAFileWholeOrNotAtAll(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("stdin.trace");
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream(RECORDING.getBytes(StandardCharsets.UTF_8)));
            Cli.Result r = kvmsim("import-strace", "-o", out.toString(), "-");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.err().startsWith("<stdin>: 8 strace lines"), r.err());
            assertTrue(Files.readString(out).contains("{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0,\"thread\":\"10499\","
                    + "\"expect\":{\"ret\":0}}"));
        } finally {
            System.setIn(old);
        }
        Path bad = Files.writeString(dir.resolve("bad.strace"), RECORDING + "this is not strace\n");
        Path target = dir.resolve("bad.trace");
        Cli.Result r = kvmsim("import-strace", "-o", target.toString(), bad.toString());
        assertEquals(2, r.status());
        assertEquals(bad + ":9: not strace output: expected a system call such as 'ioctl(...) = 0', a signal "
                + "('--- SIG... ---') or an exit ('+++ ... +++')\n"
                + "import-strace: --lenient skips the lines that cannot be read, each named in a warning\n", r.err());
        assertFalse(Files.exists(target), "nothing half-written");
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "no temporary left behind");
        }
    }

    @Test
    void badArgumentsExit2WithoutAStackTrace(@TempDir Path dir) {
        Cli.Result missing = kvmsim("import-strace", dir.resolve("nope.strace").toString());
        assertEquals(2, missing.status());
        assertEquals(dir.resolve("nope.strace") + ": cannot read: no such file\n", missing.err());
        Cli.Result arch = kvmsim("import-strace", "--arch", "riscv", "-");
        assertEquals(2, arch.status());
        assertEquals("--arch takes x86_64 or arm64, not 'riscv'\n", arch.err());
    }

    /** An issue's paste: a prompt, strace's ^C and a cut line among the calls. */
    private static final String PASTE = String.join("\n",
            "$ sudo strace -f -y -e trace=ioctl,mmap -p 10497",
            "strace: Process 10497 attached with 3 threads",
            "10497 ioctl(3</dev/kvm>, KVM_CREATE_VM, 0) = 8<anon_inode:kvm-vm>",
            "10497 ioctl(8<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 9<anon_inode:kvm-vcpu:0>",
            "10499 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_SET_CPUID2, 0x7ffd2000) = 0",
            "10499 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0",
            "^Cstrace: Process 10497 detached",
            "10499 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0", "");

    private static final String NOT_STRACE = "not strace output: expected a system call such as 'ioctl(...) = 0', a "
            + "signal ('--- SIG... ---') or an exit ('+++ ... +++')";

    @Test
    void lenientSkipsEachUnreadableLineWithAWarningAndCountsThem(@TempDir Path dir) throws Exception {
        Path rec = Files.writeString(dir.resolve("paste.strace"), PASTE);
        Cli.Result strict = kvmsim("import-strace", rec.toString());
        assertEquals(2, strict.status());
        assertEquals(rec + ":1: " + NOT_STRACE + "\nimport-strace: --lenient skips the lines that cannot be read, each "
                + "named in a warning\n", strict.err());
        Cli.Result r = kvmsim("import-strace", "--lenient", rec.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(rec + ":1: skipped: " + NOT_STRACE + "\n"
                + rec + ":7: skipped: " + NOT_STRACE + "\n"
                + rec + ":8: skipped: truncated system call: 'ioctl(' is never closed and has no result\n"
                + rec + ": 8 strace lines -> 5 steps (4 modelled, 1 IOCTL passed through), 0 results not judged, 3 lines "
                + "skipped; arch x86_64 from KVM_SET_CPUID2 at line 5\n", r.err());
        assertTrue(r.out().contains("# strace:1: skipped, cannot be read: " + NOT_STRACE
                + ": $ sudo strace -f -y -e trace=ioctl,mmap -p 10497\n"), r.out());
    }

    /** An arm64 recording pasted indented, in a fence, with an elision: imported as arm64, and the model agrees with it. */
    @Test
    void anArm64RecordingIsRecognisedAndReplays(@TempDir Path dir) throws Exception {
        Path rec = Files.writeString(dir.resolve("crosvm.strace"), String.join("\n",
                "    ```",
                "    [pid  2203] ioctl(13</dev/kvm>, KVM_CREATE_VM, 0) = 14<anon_inode:kvm-vm>",
                "    [pid  2203] mmap(NULL, 268435456, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_NORESERVE, "
                        + "15</memfd:crosvm_guest (deleted)>, 0) = 0xffff70000000",
                "    [...]",
                "    [pid  2203] ioctl(14<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0, flags=0, "
                        + "guest_phys_addr=0x80000000, memory_size=268435456, userspace_addr=0xffff70000000}) = 0",
                "    [pid  2203] ioctl(14<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 16<anon_inode:kvm-vcpu:0>",
                "    [pid  2210] ioctl(16<anon_inode:kvm-vcpu:0>, KVM_ARM_VCPU_INIT, 0xffffe8a1c0d0) = 0",
                "    [pid  2210] ioctl(16<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0",
                "    ```", ""));
        Path trace = dir.resolve("crosvm.trace");
        Cli.Result imported = kvmsim("import-strace", "-o", trace.toString(), rec.toString());
        assertEquals(0, imported.status(), imported.err());
        assertEquals(rec + ": 9 strace lines -> 7 steps (7 modelled, 0 IOCTL passed through), 1 results not judged; "
                + "arch arm64 from KVM_ARM_VCPU_INIT at line 7\n", imported.err());
        assertTrue(Files.readString(trace).contains("{\"op\":\"HOST\",\"arch\":\"arm64\"}"));
        Cli.Result r = kvmsim("replay", "-q", "--engine", "reference", trace.toString());
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("0 mismatches"), r.out());
    }

    @Test
    void aRecordingOfAnotherArchitectureIsRefusedAndConflictsNameTheirLines(@TempDir Path dir) throws Exception {
        Path s390 = Files.writeString(dir.resolve("s390.strace"), String.join("\n",
                "ioctl(3</dev/kvm>, KVM_CREATE_VM, 0) = 8<anon_inode:kvm-vm>",
                "ioctl(8<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 9<anon_inode:kvm-vcpu:0>",
                "ioctl(9<anon_inode:kvm-vcpu:0>, KVM_S390_INITIAL_RESET, 0) = 0", ""));
        Path out = dir.resolve("s390.trace");
        Cli.Result r = kvmsim("import-strace", "--lenient", "-o", out.toString(), s390.toString());
        assertEquals(2, r.status());
        assertEquals(s390 + ":3: KVM_S390_INITIAL_RESET is an ioctl of s390 only: this is a recording of s390, and "
                + "kvmsim models arm64 and x86_64 only\n", r.err());
        assertFalse(Files.exists(out));
        Path both = Files.writeString(dir.resolve("both.strace"), RECORDING
                + "10499 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_ARM_VCPU_INIT, 0xffffd0a0) = 0\n"
                + "10499 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_SET_CPUID2, 0x7ffd2000) = 0\n");
        Cli.Result c = kvmsim("import-strace", both.toString());
        assertEquals(2, c.status());
        assertEquals(both + ": ioctls of more than one architecture: arm64's KVM_ARM_VCPU_INIT at line 9, x86_64's "
                + "KVM_SET_CPUID2 at line 10; a recording is made on one machine: pass --arch to import it anyway\n",
                c.err());
        Cli.Result given = kvmsim("import-strace", "--arch", "x86_64", both.toString());
        assertEquals(0, given.status(), given.err());
        assertTrue(given.err().startsWith(both + ":9: warning: KVM_ARM_VCPU_INIT is an ioctl of arm64 only, but the "
                + "import is for x86_64 as --arch says"), given.err());
        assertTrue(given.err().endsWith("IOCTL passed through), 0 results not judged\n"), given.err());
    }

    /** -o writes through a temporary file, but the trace gets the permissions of any new file, or keeps the target's. */
    @Test
    void theTraceFileHasTheUsualPermissions(@TempDir Path dir) throws Exception {
        Path rec = Files.writeString(dir.resolve("qemu.strace"), RECORDING);
        Path plain = Files.writeString(dir.resolve("plain.txt"), "a file as the shell's > makes one");
        Path fresh = dir.resolve("fresh.trace");
        assertEquals(0, kvmsim("import-strace", "-o", fresh.toString(), rec.toString()).status());
        assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)), "0666 less the umask");
        Path kept = Files.writeString(dir.resolve("kept.trace"), "old");
        Files.setPosixFilePermissions(kept, PosixFilePermissions.fromString("rw-rw-r--"));
        assertEquals(0, kvmsim("import-strace", "-o", kept.toString(), rec.toString()).status());
        assertEquals("rw-rw-r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(kept)));
        assertTrue(Files.readString(kept).contains("\"op\":\"KVM_RUN\""));
    }

    @Test
    void aWriteFailureNamesTheTargetAndSaysItCannotWrite(@TempDir Path dir) throws Exception {
        Path rec = Files.writeString(dir.resolve("qemu.strace"), RECORDING);
        Path missing = dir.resolve("no/such/dir/out.trace");
        Cli.Result r = kvmsim("import-strace", "-o", missing.toString(), rec.toString());
        assertEquals(2, r.status());
        assertEquals(missing + ": cannot write: no such directory " + missing.getParent() + "\n", r.err());
        Path aDir = Files.createDirectory(dir.resolve("adir"));
        r = kvmsim("import-strace", "-o", aDir.toString(), rec.toString());
        assertEquals(2, r.status());
        assertEquals(aDir + ": cannot write: it is a directory\n", r.err());
        Path under = rec.resolve("out.trace");
        r = kvmsim("import-strace", "-o", under.toString(), rec.toString());
        assertEquals(2, r.status());
        assertEquals(under + ": cannot write: " + rec + " is not a directory\n", r.err());
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "no temporary left behind");
        }
    }
}
