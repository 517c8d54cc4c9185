package kvmsim.bench.traces;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.vcpu.GuestAccessKind;

/**
 * A multi-thread x86 trace for the explore benchmark: vm0 on host0 with a guest thread (vCPU 0 writing and reading two pages)
 * and a VMM thread (ageing pages, turning dirty logging on and off, reading the log), and any further threads each a guest on a
 * VM and host of its own (vm1 on host1, ...): steps that commute with everything on vm0, which is what the reduction saves.
 */
public final class ThreadedTraceGenerator {

    private static final long HVA = 0x7f0000000000L;

    private ThreadedTraceGenerator() {
    }

    /** {@code threads} threads (at least 2) of {@code steps} steps each, after a set-up prefix. */
    public static List<Step> generate(int threads, int steps, long seed) {
        Random r = new Random(seed);
        List<Step> out = new ArrayList<>();
        int[] line = {1};
        int vms = threads - 1;
        for (int v = 0; v < vms; v++) {
            String vm = "vm" + v;
            String host = "host" + v;
            out.add(new Step.HostDecl(meta(line, "main"), host, Arch.X86_64,
                    HostFeatures.defaults(Arch.X86_64).with(HostFeature.AD_BITS, false), false));
            out.add(new Step.CreateVm(meta(line, "main"), vm, host, Arch.X86_64, "KVM_X86_DEFAULT_VM"));
            out.add(new Step.CreateVcpu(meta(line, "main"), vm, 0));
            out.add(new Step.SetUserMemoryRegion(meta(line, "main"), vm, 0, 0, 0, 0x10000, HVA));
            out.add(new Step.Run(meta(line, "main"), vm, 0));
        }
        for (int t = 0; t < threads; t++) {
            for (int k = 0; k < steps; k++) {
                StepMeta m = meta(line, "t" + t);
                long gpa = 0x5000 + 0x1000L * r.nextInt(2);
                if (t == 1) {
                    out.add(switch (k % 4) {
                        case 0 -> new Step.MmuNotifier(m, "vm0", 0x5000, 0x2000, false);
                        case 1 -> new Step.SetUserMemoryRegion(m, "vm0", 0, 1, 0, 0x10000, HVA);
                        case 2 -> new Step.GetDirtyLog(m, "vm0", 0);
                        default -> new Step.SetUserMemoryRegion(m, "vm0", 0, 0, 0, 0x10000, HVA);
                    });
                } else {
                    String vm = t == 0 ? "vm0" : "vm" + (t - 1);
                    out.add(new Step.GuestAccess(m, vm, 0, r.nextInt(3) == 0 ? GuestAccessKind.READ
                            : GuestAccessKind.WRITE, gpa));
                }
            }
        }
        return out;
    }

    private static StepMeta meta(int[] line, String thread) {
        return new StepMeta(line[0]++, thread, Expect.NONE);
    }
}
