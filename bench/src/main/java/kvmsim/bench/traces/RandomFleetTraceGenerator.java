package kvmsim.bench.traces;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.MemslotFlag;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.Trace;
import kvmsim.domain.vcpu.GuestAccessKind;

/**
 * Random x86 fleets for property tests of concurrent replay: a few hosts, VMs placed on them at
 * random (so several share a host), each with its own vCPUs and memslots; every VM's script (set
 * up, then guest reads and writes on random vCPUs and pages, dirty logging turned on and off, and
 * the dirty log read, each of which flushes the TLBs of every vCPU) is kept in order, and the
 * scripts of all VMs are shuffled together, so that steps of VMs on one host alternate in every
 * pattern. Seeded: the same seed gives the same trace.
 */
public final class RandomFleetTraceGenerator {

    private static final long SLOT_PAGES = 8;
    private static final long SLOT_BYTES = SLOT_PAGES * Pages.PAGE_SIZE;

    private RandomFleetTraceGenerator() {
    }

    public static Trace generate(long seed, int hosts, int vms, int opsPerVm) {
        Random rnd = new Random(seed);
        List<List<Function<StepMeta, Step>>> scripts = new ArrayList<>();
        for (int i = 0; i < vms; i++) {
            scripts.add(script(rnd, "vm" + i, "host" + rnd.nextInt(hosts), i, opsPerVm));
        }
        List<Step> out = new ArrayList<>();
        int[] line = {0};
        for (int h = 0; h < hosts; h++) {
            out.add(new Step.HostDecl(meta(line), "host" + h, Arch.X86_64, HostFeatures.defaults(Arch.X86_64), false));
        }
        int[] next = new int[vms];
        int left = scripts.stream().mapToInt(List::size).sum();
        while (left > 0) {
            int vm = rnd.nextInt(vms);
            if (next[vm] < scripts.get(vm).size()) {
                out.add(scripts.get(vm).get(next[vm]++).apply(meta(line)));
                left--;
            }
        }
        return new Trace("random-fleet-" + seed + ".trace", out);
    }

    private static StepMeta meta(int[] line) {
        return new StepMeta(++line[0], "main", Expect.NONE);
    }

    // one VM's steps in order, each waiting for its line number
    private static List<Function<StepMeta, Step>> script(Random rnd, String vm, String host, int index, int ops) {
        List<Function<StepMeta, Step>> s = new ArrayList<>();
        int slots = 1 + rnd.nextInt(3);
        int vcpus = 1 + rnd.nextInt(4);
        long hva = 0x7f0000000000L + index * 0x1000000L; // its own mapping on a host it may share
        boolean[] logging = new boolean[slots];
        s.add(m -> new Step.CreateVm(m, vm, host, Arch.X86_64, null));
        for (int slot = 0; slot < slots; slot++) {
            long n = slot;
            s.add(m -> new Step.SetUserMemoryRegion(m, vm, n, 0, n * SLOT_BYTES, SLOT_BYTES, hva + n * SLOT_BYTES));
        }
        for (int v = 0; v < vcpus; v++) {
            long n = v;
            s.add(m -> new Step.CreateVcpu(m, vm, n));
            s.add(m -> new Step.Run(m, vm, n));
        }
        for (int i = 0; i < ops; i++) {
            long vcpu = rnd.nextInt(vcpus);
            int slot = rnd.nextInt(slots);
            long gpa = slot * SLOT_BYTES + rnd.nextInt((int) SLOT_PAGES) * Pages.PAGE_SIZE;
            int what = rnd.nextInt(10);
            if (what < 4) {
                s.add(m -> new Step.GuestAccess(m, vm, vcpu, GuestAccessKind.WRITE, gpa));
            } else if (what < 6) {
                s.add(m -> new Step.GuestAccess(m, vm, vcpu, GuestAccessKind.READ, gpa));
            } else if (what < 8) {
                logging[slot] = !logging[slot];
                long flags = logging[slot] ? MemslotFlag.KVM_MEM_LOG_DIRTY_PAGES.value() : 0;
                s.add(m -> new Step.SetUserMemoryRegion(m, vm, slot, flags, slot * SLOT_BYTES, SLOT_BYTES,
                        hva + slot * SLOT_BYTES));
            } else {
                s.add(m -> new Step.GetDirtyLog(m, vm, slot));
            }
        }
        return s;
    }
}
