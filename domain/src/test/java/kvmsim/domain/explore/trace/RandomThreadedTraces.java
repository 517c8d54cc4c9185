package kvmsim.domain.explore.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.vcpu.GuestAccessKind;

/**
 * Small random x86 traces with threads, for checking the reduced search against every interleaving: one or two VMs (each on a
 * host of its own, so that some steps are independent), a set-up prefix that maps a slot and runs two vCPUs per VM, then two or
 * three threads of guest accesses, clear_young/invalidate notifiers, logging on and off, and dirty-log reads. The policies are
 * drawn too, so both dirty-log flush variants are covered.
 */
final class RandomThreadedTraces {

    static final long HVA = 0x7f0000000000L;
    static final long SIZE = 0x10000;

    record Generated(List<Step> steps, Map<String, String> policies) {
    }

    private RandomThreadedTraces() {
    }

    static Generated generate(long seed) {
        Random r = new Random(seed);
        List<Step> steps = new ArrayList<>();
        int[] line = {1};
        int vms = 1 + r.nextInt(2);
        for (int v = 0; v < vms; v++) {
            String vm = "vm" + v;
            String host = "host" + v;
            HostFeatures f = HostFeatures.defaults(Arch.X86_64).with(HostFeature.AD_BITS, r.nextInt(4) == 0);
            steps.add(new Step.HostDecl(meta(line, "main"), host, Arch.X86_64, f, false));
            steps.add(new Step.CreateVm(meta(line, "main"), vm, host, Arch.X86_64, "KVM_X86_DEFAULT_VM"));
            steps.add(new Step.CreateVcpu(meta(line, "main"), vm, 0));
            steps.add(new Step.CreateVcpu(meta(line, "main"), vm, 1));
            steps.add(slot(meta(line, "main"), vm, false));
            steps.add(new Step.Run(meta(line, "main"), vm, 0));
            steps.add(new Step.Run(meta(line, "main"), vm, 1));
        }
        int threads = 2 + r.nextInt(2);
        int[] left = new int[threads];
        for (int t = 0; t < threads; t++) {
            left[t] = 2 + r.nextInt(2);
        }
        int[] done = new int[threads];
        int remaining = 0;
        for (int n : left) {
            remaining += n;
        }
        // the threads' steps, shuffled into the file: the file's order is one interleaving
        while (remaining > 0) {
            int t = r.nextInt(threads);
            if (left[t] == 0) {
                continue;
            }
            left[t]--;
            remaining--;
            // the guest and VMM threads mostly share vm0; a third thread mostly works on the last VM
            String vm = "vm" + (r.nextInt(4) == 0 ? r.nextInt(vms) : t < 2 ? 0 : vms - 1);
            String thread = "t" + t;
            int k = done[t]++;
            steps.add(t == 0 ? guest(r, meta(line, thread), vm) : t == 1 ? vmm(r, meta(line, thread), vm, k)
                    : step(r, meta(line, thread), vm, t));
        }
        Map<String, String> policies = Map.of("dirty-log-flush", r.nextInt(3) > 0 ? "if-modified" : "unconditional");
        return new Generated(steps, policies);
    }

    // thread 0 is mostly a guest writing, thread 1 a VMM ageing pages and logging: the seed-004 shape, in random orders
    private static Step guest(Random r, StepMeta m, String vm) {
        long gpa = 0x5000 + 0x1000L * r.nextInt(2);
        return new Step.GuestAccess(m, vm, 0, r.nextInt(4) == 0 ? GuestAccessKind.READ : GuestAccessKind.WRITE, gpa);
    }

    private static Step vmm(Random r, StepMeta m, String vm, int k) {
        return switch (r.nextInt(3) > 0 && k < 3 ? k : r.nextInt(4)) {
            case 0 -> new Step.MmuNotifier(m, vm, 0x5000, 0x2000, false);
            case 1 -> slot(m, vm, true);
            case 2 -> new Step.GetDirtyLog(m, vm, 0);
            default -> new Step.MmuNotifier(m, vm, 0x5000, 0x2000, r.nextBoolean());
        };
    }

    private static Step step(Random r, StepMeta m, String vm, int thread) {
        long gpa = 0x5000 + 0x1000L * r.nextInt(2);
        long vcpu = thread % 2;
        return switch (r.nextInt(6)) {
            case 0, 1 -> new Step.GuestAccess(m, vm, vcpu, GuestAccessKind.WRITE, gpa);
            case 2 -> new Step.GuestAccess(m, vm, vcpu, GuestAccessKind.READ, gpa);
            case 3 -> new Step.MmuNotifier(m, vm, 0x5000, 0x2000, r.nextBoolean());
            case 4 -> slot(m, vm, r.nextBoolean());
            default -> new Step.GetDirtyLog(m, vm, 0);
        };
    }

    private static Step slot(StepMeta m, String vm, boolean logging) {
        return new Step.SetUserMemoryRegion(m, vm, 0, logging ? 1 : 0, 0, SIZE, HVA);
    }

    private static StepMeta meta(int[] line, String thread) {
        return new StepMeta(line[0]++, thread, Expect.NONE);
    }
}
