package kvmsim.bench.traces;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.Trace;

/** The trace a TLB-shootdown benchmark starts from: one x86 VM whose vCPUs are all in guest mode. */
public final class ShootdownSetup {

    private ShootdownSetup() {
    }

    public static Trace trace(int vcpus) {
        List<Step> steps = new ArrayList<>();
        steps.add(new Step.HostDecl(meta(steps), "host0", Arch.X86_64, HostFeatures.defaults(Arch.X86_64), false));
        steps.add(new Step.CreateVm(meta(steps), "vm0", "host0", Arch.X86_64, "KVM_X86_DEFAULT_VM"));
        steps.add(new Step.SetUserMemoryRegion(meta(steps), "vm0", 0, 0, 0, 1L << 20, 0x7f0000000000L));
        for (int i = 0; i < vcpus; i++) {
            steps.add(new Step.CreateVcpu(meta(steps), "vm0", i));
            steps.add(new Step.Run(meta(steps), "vm0", i));
            steps.add(new Step.GuestAccess(meta(steps), "vm0", i, kvmsim.domain.vcpu.GuestAccessKind.WRITE,
                    Pages.addressOf(i % 256)));
        }
        return new Trace("shootdown-" + vcpus + "-vcpus", steps);
    }

    private static StepMeta meta(List<Step> steps) {
        return new StepMeta(steps.size() + 1, "main", Expect.NONE);
    }
}
