package kvmsim.bench.traces;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.Trace;
import kvmsim.domain.vcpu.GuestAccessKind;

/**
 * A synthetic arm64 trace for benchmarks: one VM with MTE, a few vCPUs, locked and unlocked
 * memslots, then guest accesses mixed with userspace writes, resets and runs. Seeded: the same
 * seed gives the same trace.
 */
public final class Arm64TraceGenerator {

    private Arm64TraceGenerator() {
    }

    public static Trace generate(int steps, long seed) {
        Random rnd = new Random(seed);
        List<Step> out = new ArrayList<>();
        int[] line = {0};
        java.util.function.Supplier<StepMeta> meta = () -> new StepMeta(++line[0], "main", Expect.NONE);
        int vcpus = 4;
        int slots = 4;
        long slotSize = 64 * 4096;
        out.add(new Step.HostDecl(meta.get(), "host0", Arch.ARM64, HostFeatures.defaults(Arch.ARM64), false));
        out.add(new Step.CreateVm(meta.get(), "vm0", "host0", Arch.ARM64, null));
        out.add(new Step.EnableCap(meta.get(), "vm0", Cap.KVM_CAP_ARM_MTE, 0, List.of(0L, 0L, 0L, 0L)));
        for (int s = 0; s < slots; s++) {
            out.add(new Step.SetUserMemoryRegion(meta.get(), "vm0", s, 0, s * slotSize, slotSize,
                    0x7f0000000000L + s * slotSize));
        }
        for (int s = 0; s < slots; s += 2) {
            out.add(new Step.EnableCap(meta.get(), "vm0", Cap.KVM_CAP_ARM_LOCK_USER_MEMORY_REGION, 1,
                    List.of((long) s, 3L, 0L, 0L)));
        }
        for (int v = 0; v < vcpus; v++) {
            out.add(new Step.CreateVcpu(meta.get(), "vm0", v));
            out.add(new Step.ArmVcpuInit(meta.get(), "vm0", v, null, 0));
            out.add(new Step.Run(meta.get(), "vm0", v));
        }
        GuestAccessKind[] kinds = GuestAccessKind.values();
        while (out.size() < steps) {
            int r = rnd.nextInt(100);
            int v = rnd.nextInt(vcpus);
            long gpa = (long) rnd.nextInt((int) (slots * slotSize / 4096)) * 4096;
            if (r < 90) {
                out.add(new Step.GuestAccess(meta.get(), "vm0", v, kinds[rnd.nextInt(kinds.length)], gpa));
            } else if (r < 96) {
                out.add(new Step.UserspaceWrite(meta.get(), "vm0", gpa, 4096));
            } else {
                out.add(new Step.ArmVcpuInit(meta.get(), "vm0", v, null, 0));
                out.add(new Step.Run(meta.get(), "vm0", v));
            }
        }
        return new Trace("generated-arm64-" + steps + ".trace", out.subList(0, steps));
    }
}
