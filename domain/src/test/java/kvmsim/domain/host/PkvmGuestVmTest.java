package kvmsim.domain.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunRecorder;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.Trace;
import org.junit.jupiter.api.Test;

/** What the kernel layer checks of a guest share before the hypervisor sees it, and what aborts report. */
class PkvmGuestVmTest {

    private static StepMeta meta(int line) {
        return new StepMeta(line, "main", Expect.NONE);
    }

    @Test
    void theGuestMustBeAnArm64VmOfTheSameHost() {
        HostFeatures pkvm = HostFeatures.defaults(Arch.ARM64);
        pkvm = pkvm.with(HostFeature.PKVM, true);
        List<Step> steps = new ArrayList<>();
        steps.add(new Step.HostDecl(meta(1), "host0", Arch.ARM64, pkvm, false));
        steps.add(new Step.HostDecl(meta(2), "host1", Arch.ARM64, pkvm, false));
        steps.add(new Step.CreateVm(meta(3), "vm0", "host0", Arch.ARM64, null));
        steps.add(new Step.CreateVm(meta(4), "other", "host1", Arch.ARM64, null));
        steps.add(new Step.PkvmGuestShare(meta(5), "host0", Hyp.PFN, "nope", 0, true));
        steps.add(new Step.PkvmGuestShare(meta(6), "host0", Hyp.PFN, "other", 0, true));
        steps.add(new Step.PkvmGuestShare(meta(7), "host0", Hyp.PFN, "vm0", 0, true));
        steps.add(new Step.PkvmGuestShare(meta(8), "host0", Hyp.PFN, "vm0", 0, false));
        steps.add(new Step.HostMemAbort(meta(9), "host0", Hyp.PFN, Access.WRITE));
        steps.add(new Step.PkvmHypercall(meta(10), "host0", Hvc.HOST_DONATE_HYP, Hyp.PFN, 1));
        steps.add(new Step.HostMemAbort(meta(11), "host0", Hyp.PFN, Access.READ));
        steps.add(new Step.Check(meta(12), null, null, null, null, null, "host0", 1L << 27,
                List.of(new kvmsim.domain.trace.CheckItem(kvmsim.domain.trace.CheckKey.OWNER, "host"))));
        RunRecorder rec = new RunRecorder();
        Replay.run("r", new Trace("t", steps), Policies.defaults(), new ReferenceEngine(), false, rec);
        assertEquals(List.of("0", "0", "0", "0", "-EBADF", "-EINVAL", "0", "0", "mapped", "0", "denied", "0"),
                rec.steps().stream().map(StepResult::result).toList());
        assertEquals("owner", rec.steps().get(11).mismatches().get(0).key());
        assertEquals("<pfn beyond the host's IPA space>", rec.steps().get(11).mismatches().get(0).actual());
    }
}
