package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.journal.io.LineReader;
import org.junit.jupiter.api.Test;

/** The recording's architecture: inferred from the whole of it without --arch, checked against it with --arch. */
class StraceArchTest {

    private static final String CREATE = "1 ioctl(3</dev/kvm>, KVM_CREATE_VM, 0) = 8<anon_inode:kvm-vm>";
    private static final String VCPU = "1 ioctl(8<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 9<anon_inode:kvm-vcpu:0>";
    private static final String RUN = "2 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0";
    private static final String CPUID = "1 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_SET_CPUID2, 0x7ffd2000) = 0";
    private static final String MSRS = "1 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_SET_MSRS, 0x7ffd2100) = 1";
    private static final String VCPU_INIT = "1 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_ARM_VCPU_INIT, 0xffffd0a0) = 0";

    @Test
    void x86FromItsOwnIoctls() throws Exception {
        StraceImports i = StraceImports.run(null, false, CREATE, VCPU, MSRS, CPUID, RUN);
        assertEquals(new ArchChoice(Arch.X86_64, ArchChoice.How.INFERRED, "KVM_SET_MSRS", 3), i.summary().arch());
        assertTrue(i.trace().startsWith("# kvmsim trace imported by `kvmsim import-strace --arch x86_64` from "
                + "rec.strace\n# each modelled step"), "the header of a given --arch: " + i.trace());
    }

    /** The arm64 ioctl comes after the vCPU it initialises: decided from the whole recording, the import is arm64 throughout. */
    @Test
    void arm64FromTheWholeRecordingNotItsStart() throws Exception {
        StraceImports i = StraceImports.run(null, false, "ioctl(8, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) = 1",
                "ioctl(9, KVM_RUN, 0) = 0", "ioctl(9, KVM_GET_ONE_REG, 0xffffd0b0) = 0",
                "ioctl(10, KVM_ARM_VCPU_INIT, 0xffffd0a0) = 0");
        assertEquals(new ArchChoice(Arch.ARM64, ArchChoice.How.INFERRED, "KVM_ARM_VCPU_INIT", 4), i.summary().arch());
        assertTrue(i.trace().contains("{\"op\":\"HOST\",\"arch\":\"arm64\"}"), i.trace());
        // vCPU 0, met at line 2 before any arm64 ioctl, is an arm64 vCPU created before the recording: initialised
        assertEquals(List.of("HOST", "IOCTL KVM_CHECK_EXTENSION system 1", "KVM_CREATE_VM vm0", "KVM_CREATE_VCPU vm0/0",
                "KVM_ARM_VCPU_INIT", "KVM_RUN vm0/0 ret=0", "IOCTL KVM_GET_ONE_REG vcpu vm0/0 0", "KVM_CREATE_VCPU vm0/1",
                "KVM_ARM_VCPU_INIT", "KVM_ARM_VCPU_INIT"), i.steps());
    }

    @Test
    void theUnfinishedHalfOfACallCarriesItsRequest() {
        assertEquals("KVM_ARM_VCPU_INIT", ArchInference.request("5 ioctl(9<anon_inode:kvm-vcpu:0>, KVM_ARM_VCPU_INIT "
                + "<unfinished ...>"));
        assertEquals("KVM_SET_CPUID2", ArchInference.request("ioctl(9, KVM_SET_CPUID2, 0x7ffd) = 0"));
        assertNull(ArchInference.request("ioctl(0, TCGETS, {c_iflag=ICRNL}) = 0"));
        assertNull(ArchInference.request("mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0) = 0x7f0000000000"));
        assertNull(ArchInference.request("hello"));
    }

    @Test
    void aRecordingOfAnArchitectureKvmsimDoesNotModelIsRefused() {
        StraceFormatException s390 = assertThrows(StraceFormatException.class, () -> StraceImports.run(null, true,
                "ioctl(3</dev/kvm>, KVM_CREATE_VM, 0) = 8<anon_inode:kvm-vm>",
                "ioctl(8<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 9<anon_inode:kvm-vcpu:0>",
                "ioctl(9<anon_inode:kvm-vcpu:0>, KVM_S390_INITIAL_RESET, 0) = 0"));
        assertEquals("rec.strace:3: KVM_S390_INITIAL_RESET is an ioctl of s390 only: this is a recording of s390, "
                + "and kvmsim models arm64 and x86_64 only", s390.getMessage());
        assertFalse(s390.lineCanBeSkipped(), "--lenient does not import it either");
        assertEquals("rec.strace:1: KVM_PPC_GET_SMMU_INFO is an ioctl of powerpc only: this is a recording of powerpc, "
                + "and kvmsim models arm64 and x86_64 only", assertThrows(StraceFormatException.class,
                        () -> StraceImports.run(null, false, "ioctl(8, KVM_PPC_GET_SMMU_INFO, 0x7fff0) = 0")).getMessage());
    }

    @Test
    void ioctlsOfTwoArchitecturesAreAnErrorNamingOneLineOfEach() {
        StraceFormatException e = assertThrows(StraceFormatException.class,
                () -> StraceImports.run(null, true, CREATE, VCPU, VCPU_INIT, CPUID, VCPU_INIT, CPUID));
        assertEquals("rec.strace: ioctls of more than one architecture: arm64's KVM_ARM_VCPU_INIT at line 3, "
                + "x86_64's KVM_SET_CPUID2 at line 4; a recording is made on one machine: pass --arch to import it "
                + "anyway", e.getMessage());
    }

    @Test
    void noArchSpecificIoctlIsX86AndSaysSo() throws Exception {
        StraceImports i = StraceImports.run(null, false, CREATE, VCPU, RUN);
        assertEquals(ArchChoice.assumed(), i.summary().arch());
        assertEquals("no arch-specific ioctl: assumed x86_64; use --arch", i.summary().arch().note());
        assertTrue(i.trace().contains("\n# no arch-specific ioctl in the recording: assumed x86_64; import it with --arch"
                + " if it was made on another\n"), i.trace());
    }

    /** --arch wins over the recording, with one warning per architecture it contradicts; those ioctls pass through. */
    @Test
    void aGivenArchThatTheRecordingContradictsIsAWarning() throws Exception {
        StraceImports i = StraceImports.run(Arch.X86_64, false, CREATE, VCPU, VCPU_INIT, VCPU_INIT, RUN);
        assertEquals(List.of("rec.strace:3: warning: KVM_ARM_VCPU_INIT is an ioctl of arm64 only, but the import is "
                + "for x86_64 as --arch says: imported as x86_64, with the ioctls of arm64 passed through"), i.warnings());
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "KVM_CREATE_VCPU vm0/0 ret=0",
                "IOCTL KVM_ARM_VCPU_INIT vcpu vm0/0 0", "IOCTL KVM_ARM_VCPU_INIT vcpu vm0/0 0", "KVM_RUN vm0/0 ret=0"),
                i.steps());
        assertEquals(ArchChoice.given(Arch.X86_64), i.summary().arch());
        assertNull(i.summary().arch().note());
        StraceImports arm = StraceImports.run(Arch.ARM64, false, CREATE, VCPU, "1 ioctl(8, KVM_S390_ENABLE_SIE, 0) = 0");
        assertEquals(List.of("rec.strace:3: warning: KVM_S390_ENABLE_SIE is an ioctl of s390 only, but the import is "
                + "for arm64 as --arch says: imported as arm64, with the ioctls of s390 passed through"), arm.warnings());
    }

    /** The regenerate command of the committed QEMU import has no --arch: inferred, it writes the same trace. */
    @Test
    void theQemuRecordingIsX86AndImportsToTheCommittedTraceWithoutArch() throws Exception {
        String name = "examples/strace/qemu-7.2-x86_64-1vcpu-migrate";
        StringWriter out = new StringWriter();
        StraceImporter.Summary s = StraceImport.run(name + ".strace", () -> LineReader.open(Path.of("../" + name + ".strace")),
                new StraceImport.Options(null, false, w -> { }), out);
        assertEquals(Arch.X86_64, s.arch().arch());
        assertEquals(ArchChoice.How.INFERRED, s.arch().how());
        assertEquals(Files.readString(Path.of("../" + name + ".trace")), out.toString());
    }
}
