package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import org.junit.jupiter.api.Test;

/**
 * Recordings as people post them, in a mail, an issue or a chat: commented, indented, quoted,
 * wrapped, with lines left out. Each imports as given, without --arch and without --lenient.
 */
class StraceFragmentsTest {

    /** A reply on a mailing list: quoted, a shell prompt and notes as comments, lines wrapped at 72 columns. */
    static final String[] QEMU_MAIL = {
        "> # strace -f -y -e trace=ioctl,mmap -p 4721",
        "> 4721  ioctl(3</dev/kvm>, KVM_CREATE_VM, 0) = 10<anon_inode:kvm-vm>",
        "> 4721  ioctl(10<anon_inode:kvm-vm>, KVM_SET_TSS_ADDR, 0xfffbd000) = 0",
        "> ...",
        "> 4721  mmap(NULL, 2147483648, PROT_READ|PROT_WRITE,",
        "> MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x7f3a40000000",
        "> 4721  ioctl(10<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0,",
        "> flags=0, guest_phys_addr=0, memory_size=2147483648,",
        "> userspace_addr=0x7f3a40000000}) = 0",
        "> 4721  ioctl(10<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=1,",
        "> flags=KVM_MEM_LOG_DIRTY_PAGES, guest_phys_addr=0x100000,",
        "> memory_size=1048576, userspace_addr=0x7f3a40000000}) = -1 EEXIST (File",
        "> exists)",
        ">",
        "> # the vCPU thread",
        "> 4721  ioctl(10<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 11<anon_inode:kvm-vcpu:0>",
        "> 4723  ioctl(11<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0",
    };

    /** An issue about crosvm on arm64: an indented code block with a fence, no wrapping. */
    static final String[] CROSVM_ARM64_ISSUE = {
        "    ```",
        "    [pid  2203] ioctl(13</dev/kvm>, KVM_CREATE_VM, 0x28) = 14<anon_inode:kvm-vm>",
        "    [pid  2203] mmap(NULL, 268435456, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_NORESERVE, "
                + "15</memfd:crosvm_guest (deleted)>, 0) = 0xffff70000000",
        "    [pid  2203] ioctl(14<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0, flags=0, "
                + "guest_phys_addr=0x80000000, memory_size=268435456, userspace_addr=0xffff70000000}) = 0",
        "    [pid  2203] ioctl(14<anon_inode:kvm-vm>, KVM_ARM_PREFERRED_TARGET, 0xffffe8a1c0c8) = 0",
        "    [pid  2203] ioctl(14<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 16<anon_inode:kvm-vcpu:0>",
        "    [pid  2210] ioctl(16<anon_inode:kvm-vcpu:0>, KVM_ARM_VCPU_INIT, 0xffffe8a1c0d0) = 0",
        "    [pid  2210] ioctl(16<anon_inode:kvm-vcpu:0>, KVM_RUN, 0) = 0",
        "    ```",
    };

    /** A Firecracker excerpt from a bug report, with what was left out marked [...]. */
    static final String[] FIRECRACKER_EXCERPT = {
        "[pid 12034] ioctl(12</dev/kvm>, KVM_CREATE_VM, 0) = 13<anon_inode:kvm-vm>",
        "[pid 12034] ioctl(13<anon_inode:kvm-vm>, KVM_SET_TSS_ADDR, 0xfffbd000) = 0",
        "[pid 12034] ioctl(13<anon_inode:kvm-vm>, KVM_CREATE_PIT2, 0x7ffc6f1e3a40) = 0",
        "[...]",
        "[pid 12034] mmap(NULL, 134217728, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) "
                + "= 0x7f1c2c000000",
        "[pid 12034] ioctl(13<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, {slot=0, flags=0, guest_phys_addr=0, "
                + "memory_size=134217728, userspace_addr=0x7f1c2c000000}) = 0",
        "[pid 12034] ioctl(13<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 25<anon_inode:kvm-vcpu:0>",
        "[...]",
        "[pid 12041] ioctl(25<anon_inode:kvm-vcpu:0>, KVM_SET_CPUID2, 0x7f1c2bffe6d0) = 0",
        "[pid 12041] ioctl(25<anon_inode:kvm-vcpu:0>, KVM_RUN <unfinished ...>",
        "[pid 12034] ioctl(13<anon_inode:kvm-vm>, KVM_IRQ_LINE_STATUS, 0x7ffc6f1e3b00) = 0",
        "[pid 12041] <... ioctl resumed>, 0)    = 0",
    };

    @Test
    void aQuotedMailWithCommentsAndWrappedLines() throws Exception {
        StraceImports i = StraceImports.run(null, false, QEMU_MAIL);
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "IOCTL KVM_SET_TSS_ADDR vm vm0 0",
                "MMAP 7f3a40000000 2147483648 private ret=0",
                "SLOT vm0 0 flags=0 gpa=0 size=2147483648 hva=7f3a40000000 ret=0",
                "SLOT vm0 1 flags=1 gpa=100000 size=1048576 hva=7f3a40000000 errno=EEXIST",
                "KVM_CREATE_VCPU vm0/0 ret=0", "KVM_RUN vm0/0 ret=0"), i.steps());
        assertEquals("arch x86_64 from KVM_SET_TSS_ADDR at line 3", i.summary().arch().note());
        assertEquals(Map.of("comment lines", 2L, "elision lines", 1L, "blank lines", 1L), i.summary().skipped());
        assertEquals(17, i.summary().lines());
        assertTrue(i.trace().contains("# strace:7-9 4721  ioctl(10<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, "
                + "{slot=0, flags=0, guest_phys_addr=0, memory_size=2147483648, userspace_addr=0x7f3a40000000}) = 0\n"),
                i.trace());
        assertTrue(i.warnings().isEmpty(), i.warnings().toString());
    }

    @Test
    void anIndentedArm64IssueIsAnArm64Import() throws Exception {
        StraceImports i = StraceImports.run(null, false, CROSVM_ARM64_ISSUE);
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "MMAP ffff70000000 268435456 shared ret=0",
                "SLOT vm0 0 flags=0 gpa=80000000 size=268435456 hva=ffff70000000 ret=0",
                "IOCTL KVM_ARM_PREFERRED_TARGET vm vm0 0", "KVM_CREATE_VCPU vm0/0 ret=0", "KVM_ARM_VCPU_INIT",
                "KVM_RUN vm0/0 ret=0"), i.steps());
        assertEquals(Arch.ARM64, i.summary().arch().arch());
        assertEquals("arch arm64 from KVM_ARM_PREFERRED_TARGET at line 5", i.summary().arch().note());
        assertTrue(i.trace().contains("{\"op\":\"HOST\",\"arch\":\"arm64\"}"), i.trace());
        assertEquals(Map.of("markup lines", 2L), i.summary().skipped());
    }

    @Test
    void anExcerptWithElidedLines() throws Exception {
        StraceImports i = StraceImports.run(null, false, FIRECRACKER_EXCERPT);
        assertEquals(List.of("HOST", "KVM_CREATE_VM vm0 ret=0", "IOCTL KVM_SET_TSS_ADDR vm vm0 0",
                "IOCTL KVM_CREATE_PIT2 vm vm0 0", "MMAP 7f1c2c000000 134217728 private ret=0",
                "SLOT vm0 0 flags=0 gpa=0 size=134217728 hva=7f1c2c000000 ret=0", "KVM_CREATE_VCPU vm0/0 ret=0",
                "IOCTL KVM_SET_CPUID2 vcpu vm0/0 0", "IOCTL KVM_IRQ_LINE_STATUS vm vm0 0", "KVM_RUN vm0/0 ret=0"),
                i.steps());
        assertEquals(Map.of("elision lines", 2L), i.summary().skipped());
        assertEquals(Arch.X86_64, i.summary().arch().arch());
    }
}
