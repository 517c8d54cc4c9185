package kvmsim.bench.traces;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.MemslotFlag;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.Trace;
import kvmsim.domain.vcpu.GuestAccessKind;

/**
 * A fleet of x86 VMs for cluster runs: {@code vms} VMs on hosts of {@code vmsPerHost} each, every VM
 * with {@code vcpus} vCPUs in guest mode and {@code slots} memslots. Each vCPU writes to slot 0
 * (a writable TLB entry), then dirty logging is enabled on slot 0: a remote TLB flush the VM
 * broadcasts to all its vCPUs; each writes again (faults, is logged) and the log is read, which
 * write-protects and flushes again. Every
 * entity gets events; a flush's receivers may live on other nodes than their VM.
 */
public final class FleetTraceGenerator {

    private FleetTraceGenerator() {
    }

    public static Trace generate(int vms, int vcpus, int slots, int vmsPerHost) {
        return generate(vms, vcpus, slots, vmsPerHost, 0);
    }

    /**
     * As above, then {@code rounds} more passes over every VM, in VM order: each vCPU writes again and
     * the dirty log is read (a flush). Later passes meet entities created long before.
     */
    public static Trace generate(int vms, int vcpus, int slots, int vmsPerHost, int rounds) {
        List<Step> out = new ArrayList<>();
        int[] line = {0};
        java.util.function.Supplier<StepMeta> meta = () -> new StepMeta(++line[0], "main", Expect.NONE);
        long slotSize = 16 * 4096;
        for (int h = 0; h * vmsPerHost < vms; h++) {
            out.add(new Step.HostDecl(meta.get(), "host" + h, Arch.X86_64, HostFeatures.defaults(Arch.X86_64), false));
        }
        for (int i = 0; i < vms; i++) {
            String vm = "vm" + i;
            String host = "host" + (i / vmsPerHost);
            long hvaBase = 0x7f0000000000L + (long) (i % vmsPerHost) * slots * slotSize;
            out.add(new Step.CreateVm(meta.get(), vm, host, Arch.X86_64, null));
            for (int s = 0; s < slots; s++) {
                out.add(new Step.SetUserMemoryRegion(meta.get(), vm, s, 0, s * slotSize, slotSize, hvaBase + s * slotSize));
            }
            for (int v = 0; v < vcpus; v++) {
                out.add(new Step.CreateVcpu(meta.get(), vm, v));
                out.add(new Step.Run(meta.get(), vm, v));
            }
            for (int v = 0; v < vcpus; v++) {
                out.add(new Step.GuestAccess(meta.get(), vm, v, GuestAccessKind.WRITE, (long) v * 4096));
            }
            out.add(new Step.SetUserMemoryRegion(meta.get(), vm, 0, MemslotFlag.KVM_MEM_LOG_DIRTY_PAGES.value(), 0, slotSize,
                    hvaBase));
            for (int v = 0; v < vcpus; v++) {
                out.add(new Step.GuestAccess(meta.get(), vm, v, GuestAccessKind.WRITE, (long) v * 4096));
            }
            out.add(new Step.GetDirtyLog(meta.get(), vm, 0));
        }
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < vms; i++) {
                for (int v = 0; v < vcpus; v++) {
                    out.add(new Step.GuestAccess(meta.get(), "vm" + i, v, GuestAccessKind.WRITE, (long) v * 4096));
                }
                out.add(new Step.GetDirtyLog(meta.get(), "vm" + i, 0));
            }
        }
        return new Trace("generated-fleet-" + vms + "x" + vcpus + "x" + slots + ".trace", out);
    }
}
