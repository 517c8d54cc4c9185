package kvmsim.bench.traces;

import java.io.IOException;
import java.io.Writer;
import java.util.Random;

/**
 * Writes a long, realistic strace recording of a QEMU-like VMM, for benchmarks and streaming
 * tests: the shape of the shared QEMU 7.2 recording (guest RAM reserved then mapped MAP_FIXED,
 * memslots, two vCPU threads in KVM_RUN, interrupt lines, split calls, signals) with dirty
 * logging toggled on and off as a migration does, and scratch buffers mapped and unmapped.
 * Every result is what Linux returns for that sequence, so its import replays with exit 0.
 */
public final class SyntheticRecording {

    private static final long RAM = 0x7f0000000000L;
    private static final long RAM_SIZE = 64L << 20;
    private static final long SCRATCH = 0x7e0000000000L;

    private SyntheticRecording() {
    }

    /** Writes about {@code lines} lines (at least that many) to {@code out}, the same ones for the same seed. */
    public static void write(Writer out, int lines, long seed) throws IOException {
        Random rnd = new Random(seed);
        int n = 0;
        n += line(out, "1000 mmap(NULL, " + (RAM_SIZE + (2 << 20)) + ", PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = "
                + hex(RAM));
        n += line(out, "1000 mmap(" + hex(RAM) + ", " + RAM_SIZE
                + ", PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = " + hex(RAM));
        n += line(out, "1000 munmap(" + hex(RAM + RAM_SIZE + 4096) + ", " + ((2 << 20) - 4096) + ") = 0");
        n += line(out, "1000 ioctl(3</dev/kvm>, KVM_GET_API_VERSION, 0) = 12");
        n += line(out, "1000 ioctl(3</dev/kvm>, KVM_CREATE_VM, 0) = 8<anon_inode:kvm-vm>");
        n += line(out, "1000 ioctl(3</dev/kvm>, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) = 3");
        n += line(out, "1000 ioctl(8<anon_inode:kvm-vm>, KVM_ENABLE_CAP, 0x7ffd5a0) = 0");
        long slotSize = RAM_SIZE / 4;
        for (int s = 0; s < 4; s++) {
            n += line(out, "1000 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, " + slot(s, 0, slotSize) + ") = 0");
        }
        for (int v = 0; v < 2; v++) {
            n += line(out, (1001 + v) + " ioctl(8<anon_inode:kvm-vm>, KVM_CREATE_VCPU, " + v + ") = " + (9 + v)
                    + "<anon_inode:kvm-vcpu:" + v + ">");
            n += line(out, (1001 + v) + " mmap(NULL, 12288, PROT_READ|PROT_WRITE, MAP_SHARED, " + (9 + v)
                    + "<anon_inode:kvm-vcpu:" + v + ">, 0) = " + hex(SCRATCH - (v + 1) * 0x10000L));
        }
        boolean[] logging = new boolean[4];
        long scratch = SCRATCH;
        long mapped = 0;
        String[] exits = {"KVM_EXIT_IO", "KVM_EXIT_MMIO", "KVM_EXIT_HLT", "KVM_EXIT_IRQ_WINDOW_OPEN"};
        while (n < lines) {
            int vcpu = rnd.nextInt(2);
            String tid = String.valueOf(1001 + vcpu);
            String vcpuFd = (9 + vcpu) + "<anon_inode:kvm-vcpu:" + vcpu + ">";
            int pick = rnd.nextInt(100);
            if (pick < 55) {
                n += line(out, tid + " ioctl(" + vcpuFd + ", KVM_RUN, 0) = 0 (" + exits[rnd.nextInt(exits.length)] + ")");
            } else if (pick < 75) {
                n += line(out, "1000 ioctl(8<anon_inode:kvm-vm>, KVM_IRQ_LINE_STATUS, 0x7ffd5a0) = 0");
            } else if (pick < 80) {
                // a migration pass: toggle dirty logging on a slot, then read and clear its log
                int s = rnd.nextInt(4);
                logging[s] = !logging[s];
                n += line(out, "1003 ioctl(8<anon_inode:kvm-vm>, KVM_SET_USER_MEMORY_REGION, "
                        + slot(s, logging[s] ? 1 : 0, slotSize) + ") = 0");
                if (logging[s]) {
                    n += line(out, "1003 ioctl(8<anon_inode:kvm-vm>, KVM_GET_DIRTY_LOG, 0x7efd93dfe360) = 0");
                    n += line(out, "1003 ioctl(8<anon_inode:kvm-vm>, KVM_CLEAR_DIRTY_LOG, 0x7efd93dfe340) = 0");
                }
            } else if (pick < 88) {
                if (mapped > 0 && rnd.nextBoolean()) {
                    n += line(out, "1000 munmap(" + hex(scratch - mapped) + ", " + mapped + ") = 0");
                    mapped = 0;
                } else {
                    long len = 4096L * (1 + rnd.nextInt(64));
                    scratch += 0x100000;
                    n += line(out, "1000 mmap(NULL, " + len + ", PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"
                            + " = " + hex(scratch - len));
                    if (mapped > 0) {
                        n += line(out, "1000 munmap(" + hex(scratch - 0x100000 - mapped) + ", " + mapped + ") = 0");
                    }
                    mapped = len;
                }
            } else if (pick < 94) {
                // a vCPU thread blocked in KVM_RUN while the main thread works: strace splits the call
                n += line(out, tid + " ioctl(" + vcpuFd + ", KVM_RUN <unfinished ...>");
                n += line(out, "1000 ioctl(8<anon_inode:kvm-vm>, KVM_IRQ_LINE_STATUS, 0x7ffd5a0) = 0");
                n += line(out, tid + " <... ioctl resumed>, 0) = " + (rnd.nextInt(4) == 0
                        ? "-1 EINTR (Interrupted system call)" : "0 (KVM_EXIT_IO)"));
            } else {
                n += line(out, tid + " --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=1000, si_uid=0} ---");
            }
        }
        out.flush();
    }

    private static String slot(int s, int flags, long size) {
        return "{slot=" + s + ", flags=" + (flags == 0 ? "0" : "KVM_MEM_LOG_DIRTY_PAGES") + ", guest_phys_addr="
                + hex(s * size) + ", memory_size=" + size + ", userspace_addr=" + hex(RAM + s * size) + "}";
    }

    private static int line(Writer out, String text) throws IOException {
        out.write(text);
        out.write('\n');
        return 1;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
