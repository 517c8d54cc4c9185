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
        assertEquals(rec + ": 8 strace lines -> 9 steps (7 modelled, 2 IOCTL passed through), 0 results not judged\n",
                imported.err());
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
                + "('--- SIG... ---') or an exit ('+++ ... +++')\n", r.err());
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
}
