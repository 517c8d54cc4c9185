package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.io.LineReader;
import kvmsim.journal.trace.TraceParser;
import org.junit.jupiter.api.Test;

/** The importer: fd tracking, which calls become which steps, expectations and errors (its fuzzer: StraceFuzz). */
class StraceImporterTest {

    private static final String CREATE = "1 ioctl(3</dev/kvm>, KVM_CREATE_VM, 0) = 8<anon_inode:kvm-vm>";
    private static final String VCPU = "1 ioctl(8<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 9<anon_inode:kvm-vcpu:0>";

    static String imported(Arch arch, String... lines) throws StraceFormatException {
        StringWriter out = new StringWriter();
        LineReader in = LineReader.of(new ByteArrayInputStream(String.join("\n", lines).getBytes(StandardCharsets.UTF_8)));
        StraceImporter.importLines("rec.strace", in, arch, out);
        return out.toString();
    }

    /** The steps of the imported trace, as kvmsim reads it back: also proves the trace is valid. */
    static List<String> steps(String... lines) throws Exception {
        Trace t = TraceParser.parse("imported", new StringReader(imported(Arch.X86_64, lines)));
        List<String> out = new ArrayList<>();
        for (Step s : t.steps()) {
            out.add(describe(s));
        }
        return out;
    }

    static String describe(Step s) {
        String e = s.meta().expect().ret() != null ? " ret=" + s.meta().expect().ret()
                : s.meta().expect().errno() != null ? " errno=" + s.meta().expect().errno() : "";
        if (s instanceof Step.Ioctl io) {
            return "IOCTL " + io.name() + " " + io.fdKind() + (io.vm() == null ? "" : " " + io.vm())
                    + (io.vcpu() == null ? "" : "/" + io.vcpu()) + (io.errno() != null ? " " + io.errno() : " " + io.ret());
        } else if (s instanceof Step.CreateVm c) {
            return "KVM_CREATE_VM " + c.vm() + e;
        } else if (s instanceof Step.CreateVcpu c) {
            return "KVM_CREATE_VCPU " + c.vm() + "/" + c.vcpu() + e;
        } else if (s instanceof Step.Run r) {
            return "KVM_RUN " + r.vm() + "/" + r.vcpu() + e;
        } else if (s instanceof Step.SetUserMemoryRegion r) {
            return String.format("SLOT %s %d flags=%d gpa=%x size=%d hva=%x%s", r.vm(), r.slot(), r.flags(),
                    r.guestPhysAddr(), r.memorySize(), r.userspaceAddr(), e);
        } else if (s instanceof Step.Mmap m) {
            return String.format("MMAP %x %d %s%s", m.hva(), m.length(), m.shared() ? "shared" : "private", e);
        } else if (s instanceof Step.Munmap m) {
            return String.format("MUNMAP %x %d%s", m.hva(), m.length(), e);
        }
        return s.op() + e;
    }

    @Test
    void fdsAreFollowedFromCreateVmAndCreateVcpu() throws Exception {
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "KVM_CREATE_VCPU vm0/0 ret=0", "KVM_RUN vm0/0 ret=0",
                "IOCTL KVM_IRQ_LINE_STATUS vm vm0 0"),
                steps(CREATE, VCPU, "2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0",
                        "1 ioctl(8<anon_inode:kvm-vm>, KVM_IRQ_LINE_STATUS, 0x7ffd) = 0"));
        // without -y names the table still knows fd 8 and fd 9
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "KVM_CREATE_VCPU vm0/3 ret=0", "KVM_RUN vm0/3 ret=0"),
                steps("ioctl(3, KVM_CREATE_VM, 0) = 8", "ioctl(8, KVM_CREATE_VCPU, 3) = 9", "ioctl(9, KVM_RUN, 0) = 0"));
    }

    @Test
    void closeAndDupUpdateTheFdTable() throws Exception {
        List<String> s = steps("ioctl(3, KVM_CREATE_VM, 0) = 8", "dup(8) = 12", "close(8) = 0",
                "ioctl(12, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) = 1",
                "ioctl(8, TCGETS, 0x7ffd) = -1 ENOTTY (Inappropriate ioctl for device)");
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "IOCTL KVM_CHECK_EXTENSION vm vm0 1"), s);
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "KVM_CREATE_VCPU vm0/1 ret=0"),
                steps("ioctl(3, KVM_CREATE_VM, 0) = 8", "fcntl(8, F_DUPFD_CLOEXEC, 20) = 20",
                        "ioctl(20, KVM_CREATE_VCPU, 1) = 21"));
    }

    @Test
    void aRecordingThatStartsMidStreamGetsSyntheticVmAndVcpu() throws Exception {
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0", "SLOT vm0 1 flags=1 gpa=100000 size=4096 hva=7f0000000000 ret=0",
                "KVM_CREATE_VCPU vm0/2", "KVM_RUN vm0/2 ret=0"),
                steps("5 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=1, flags=KVM_MEM_LOG_DIRTY_PAGES, "
                        + "guest_phys_addr=0x100000, memory_size=4096, userspace_addr=0x7f0000000000}) = 0",
                        "6 ioctl(11<anon_inode:kvm-vcpu:2>, KVM_RUN, 0) = 0"));
        // no -y names: the ioctl's scope tells a VM fd from a vCPU fd
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0", "IOCTL KVM_IRQ_LINE_STATUS vm vm0 0", "KVM_CREATE_VCPU vm0/0",
                "KVM_RUN vm0/0 ret=0", "IOCTL KVM_CHECK_EXTENSION system 1"),
                steps("ioctl(8, KVM_IRQ_LINE_STATUS, 0x7ffd) = 0", "ioctl(9, KVM_RUN, 0) = 0",
                        "ioctl(3, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) = 1"));
    }

    @Test
    void modelledCallsExpectTheKernelsResult() throws Exception {
        List<String> s = steps(CREATE,
                "1 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=65536, flags=KVM_MEM_READONLY|0x8, "
                        + "guest_phys_addr=0, memory_size=0, userspace_addr=0}) = -1 EINVAL (Invalid argument)",
                "1 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0, flags=0x1 /* KVM_MEM_LOG_DIRTY_PAGES */, "
                        + "guest_phys_addr=0, memory_size=8192, userspace_addr=0x7f0000000000}) = 0",
                "1 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, 0x7ffd1234) = -1 EFAULT (Bad address)",
                "1 ioctl(8<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 1) = -1 EEXIST (File exists)");
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0",
                "SLOT vm0 65536 flags=10 gpa=0 size=0 hva=0 errno=EINVAL",
                "SLOT vm0 0 flags=1 gpa=0 size=8192 hva=7f0000000000 ret=0",
                "IOCTL KVM_SET_USER_MEMORY_REGION vm vm0 EFAULT", "KVM_CREATE_VCPU vm0/1 errno=EEXIST"), s);
    }

    @Test
    void resultsOutsideTheModelAreCommentsNotExpectations() throws Exception {
        String out = imported(Arch.X86_64, CREATE, VCPU,
                "2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = -1 EINTR (Interrupted system call)",
                "2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = -1 EFAULT (Bad address)",
                "2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0 (KVM_EXIT_HLT)");
        assertTrue(out.contains("# EINTR depends on a signal or a retry, not on the model: not judged"), out);
        assertTrue(out.contains("# EFAULT depends on what the guest or the process did, not on the model: not judged"));
        assertTrue(out.contains("# strace:5 2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0 (KVM_EXIT_HLT)"), out);
        assertTrue(out.contains("# import: 5 strace lines, 6 steps (6 modelled, 0 IOCTL passed through), 2 results "
                + "not judged"), out);
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "KVM_CREATE_VCPU vm0/0 ret=0", "KVM_RUN vm0/0",
                "KVM_RUN vm0/0", "KVM_RUN vm0/0 ret=0"), steps(CREATE, VCPU,
                "2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = -1 EINTR (Interrupted system call)",
                "2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = -1 EFAULT (Bad address)",
                "2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0 (KVM_EXIT_HLT)"));
    }

    @Test
    void splitCallsAreJoinedPerThreadWhereTheyReturned() throws Exception {
        List<String> s = steps(CREATE, VCPU,
                "2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN <unfinished ...>",
                "3 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0, flags=0, guest_phys_addr=0, "
                        + "memory_size=4096, userspace_addr=0x7f0000000000} <unfinished ...>",
                "2 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=1, si_uid=0} ---",
                "3 <... ioctl resumed>)              = 0",
                "2 <... ioctl resumed>, 0)           = 0",
                "3 +++ exited with 0 +++");
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "KVM_CREATE_VCPU vm0/0 ret=0",
                "SLOT vm0 0 flags=0 gpa=0 size=4096 hva=7f0000000000 ret=0", "KVM_RUN vm0/0 ret=0"), s);
        String out = imported(Arch.X86_64, CREATE, "2 ioctl(8<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0 <unfinished ...>",
                "2 +++ killed by SIGKILL +++", "3 <... ioctl resumed>) = 0");
        assertTrue(out.contains("# strace:2: this call never returned (its thread 2 exited or the recording ended): "
                + "skipped"), out);
        assertTrue(out.contains("# strace:4: the start of this ioctl is not in the recording: skipped"), out);
    }

    @Test
    void mmapsBecomeVmasAndMapFixedReplacesWhatWasThere() throws Exception {
        assertEquals(List.of("HOST", "MMAP 7efd99200000 35651584 private ret=0", "MUNMAP 7efd99200000 33554432",
                "MMAP 7efd99200000 33554432 private ret=0", "MUNMAP 7efd9b201000 2093056 ret=0",
                "MMAP 7efd9ddbe000 12288 shared ret=0", "MMAP 7f0000000000 49152 private ret=0",
                "MUNMAP 1001 4096 errno=EINVAL"),
                steps("mmap(NULL, 35651584, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7efd99200000",
                        "mmap(0x7efd99200000, 33554432, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0)"
                                + " = 0x7efd99200000",
                        "munmap(0x7efd9b201000, 2093056)   = 0",
                        "mmap(NULL, 12288, PROT_READ|PROT_WRITE, MAP_SHARED, 9<anon_inode:kvm-vcpu:0>, 0) = 0x7efd9ddbe000",
                        "mmap(NULL, 46471, PROT_READ, MAP_PRIVATE, 3</etc/ld.so.cache>, 0) = 0x7f0000000000",
                        "mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0) = -1 ENOMEM (Cannot allocate memory)",
                        "munmap(0x1001, 4096) = -1 EINVAL (Invalid argument)"));
    }

    @Test
    void unknownIoctlsArePassedThroughNotErrors() throws Exception {
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0",
                "IOCTL _IOC(_IOC_READ|_IOC_WRITE,0xae,0xd6,0x10) vm vm0 0", "IOCTL KVM_FUTURE_THING vm vm0 EOWNERDEAD"),
                steps(CREATE, "1 ioctl(8<anon_inode:kvm-vm>, _IOC(_IOC_READ|_IOC_WRITE, 0xae, 0xd6, 0x10), 0x7ffd) = 0",
                        "1 ioctl(8<anon_inode:kvm-vm>, KVM_FUTURE_THING, 0) = -1 EOWNERDEAD (Owner died)",
                        "1 ioctl(0</dev/pts/0>, TCGETS, {c_iflag=ICRNL}) = 0"));
    }

    /**
     * The committed import of the shared QEMU recording is what the importer writes today: the
     * examples' replay in both engines (EnginesAgreeTest) then checks the model against every
     * result of that recording.
     */
    @Test
    void theQemuRecordingImportsToTheCommittedTrace() throws Exception {
        String name = "examples/strace/qemu-7.2-x86_64-1vcpu-migrate";
        StringWriter out = new StringWriter();
        try (LineReader in = LineReader.open(Path.of("../" + name + ".strace"))) {
            StraceImporter.Summary s = StraceImporter.importLines(name + ".strace", in, Arch.X86_64, out);
            assertEquals(1915, s.lines());
            assertEquals(Long.valueOf(12), s.skipped().get("signal lines"));
            assertTrue(s.modelled() > 1500 && s.passedThrough() > 500, s.toString());
        }
        assertEquals(Files.readString(Path.of("../" + name + ".trace")), out.toString(),
                "regenerate with ./kvmsim import-strace " + name + ".strace -o " + name + ".trace");
    }

    @Test
    void errorsNameTheFileAndLine() {
        assertEquals("rec.strace:2: not strace output: expected a system call such as 'ioctl(...) = 0', a signal "
                + "('--- SIG... ---') or an exit ('+++ ... +++')",
                assertThrows(StraceFormatException.class, () -> imported(Arch.X86_64, CREATE, "hello")).getMessage());
        assertEquals("rec.strace:2: truncated system call: 'ioctl(' is never closed and has no result",
                assertThrows(StraceFormatException.class, () -> imported(Arch.X86_64, CREATE, "1 ioctl(8<anon_inode:kvm"))
                        .getMessage());
        assertEquals("rec.strace:1: mmap takes 6 arguments, got 2",
                assertThrows(StraceFormatException.class, () -> imported(Arch.X86_64, "mmap(NULL, 4096) = 0x1000"))
                        .getMessage());
        assertEquals("rec.strace:1: 'x' is not a file descriptor",
                assertThrows(StraceFormatException.class, () -> imported(Arch.X86_64, "ioctl(x, KVM_RUN, 0) = 0"))
                        .getMessage());
    }

    /** A memslot id is a __u32: beyond it no kernel saw the call, and the import says so rather than write -1. */
    @Test
    void aMemslotIdBeyond32BitsIsAnErrorNotMinusOne() throws Exception {
        String region = "1 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=%s, flags=0, "
                + "guest_phys_addr=0, memory_size=4096, userspace_addr=0x7f0000000000}) = 0";
        for (String slot : List.of("0xffffffffffffffff", "4294967296", "18446744073709551615")) {
            assertEquals("rec.strace:2: the memslot id '" + slot + "' is not a 32-bit unsigned number (slot is a __u32 "
                    + "in struct kvm_userspace_memory_region)", assertThrows(StraceFormatException.class,
                            () -> imported(Arch.X86_64, CREATE, region.formatted(slot))).getMessage());
        }
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0",
                "SLOT vm0 4294967295 flags=0 gpa=0 size=4096 hva=7f0000000000 ret=0"),
                steps(CREATE, region.formatted("0xffffffff")), "the largest __u32 imports as itself");
    }

    @Test
    void arm64VcpuInitIsKeptSinceKvmRunNeedsIt() throws Exception {
        Trace t = TraceParser.parse("imported", new StringReader(imported(Arch.ARM64,
                "1 ioctl(3</dev/kvm>, KVM_CREATE_VM, 0x28) = 8<anon_inode:kvm-vm>", VCPU,
                "1 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_ARM_VCPU_INIT, 0xffffd0a0) = 0",
                "1 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0")));
        List<String> ops = t.steps().stream().map(Step::op).toList();
        assertEquals(List.of("HOST", "KVM_CREATE_VM", "KVM_CREATE_VCPU", "KVM_ARM_VCPU_INIT", "KVM_RUN"), ops);
        assertTrue(t.steps().get(3).meta().expect().isEmpty(), "an undecoded payload is applied, not judged");
    }
}
