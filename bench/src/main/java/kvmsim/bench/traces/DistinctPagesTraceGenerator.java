package kvmsim.bench.traces;

import java.util.AbstractList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.NotModelled;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.TraceSource;
import kvmsim.domain.vcpu.GuestAccessKind;

/**
 * A guest that writes to {@code pages} distinct pages, once each, on one vCPU: one host, one VM, one
 * memslot exactly as large as the pages written (4 GiB for a million 4 KiB pages). Every write
 * faults in a new page: the host gains a page, the slot an SPTE or a stage-2 leaf. The steps are made
 * when read, not kept: a million-step trace costs no memory of its own.
 */
public final class DistinctPagesTraceGenerator {

    /** The steps before the first write: host, VM, memslot, vCPU (and KVM_ARM_VCPU_INIT), KVM_RUN. */
    static final int SETUP_STEPS_X86 = 5;
    static final int SETUP_STEPS_ARM64 = 6;
    static final long HVA = 0x7f0000000000L;

    private DistinctPagesTraceGenerator() {
    }

    public static TraceSource generate(Arch arch, int pages) {
        if (pages < 1) {
            throw new IllegalArgumentException("pages must be at least 1, not " + pages);
        }
        int setup = arch == Arch.ARM64 ? SETUP_STEPS_ARM64 : SETUP_STEPS_X86;
        long slotSize = (long) pages * Pages.PAGE_SIZE;
        List<Step> steps = new AbstractList<>() {
            @Override
            public Step get(int i) {
                StepMeta meta = new StepMeta(i + 1, "main", Expect.NONE);
                if (i >= setup) {
                    return new Step.GuestAccess(meta, "vm0", 0, GuestAccessKind.WRITE, (long) (i - setup) * Pages.PAGE_SIZE);
                }
                return switch (i) {
                    case 0 -> new Step.HostDecl(meta, "host0", arch, HostFeatures.defaults(arch), false);
                    case 1 -> new Step.CreateVm(meta, "vm0", "host0", arch, null);
                    case 2 -> new Step.SetUserMemoryRegion(meta, "vm0", 0, 0, 0, slotSize, HVA);
                    case 3 -> new Step.CreateVcpu(meta, "vm0", 0);
                    default -> arch == Arch.ARM64 && i == 4 ? new Step.ArmVcpuInit(meta, "vm0", 0, null, 0)
                            : new Step.Run(meta, "vm0", 0);
                };
            }

            @Override
            public int size() {
                return setup + pages;
            }
        };
        String file = "generated-distinct-pages-" + arch.traceName + "-" + pages + ".trace";
        return new TraceSource() {
            @Override
            public String file() {
                return file;
            }

            @Override
            public Map<String, String> policy() {
                return Map.of();
            }

            @Override
            public Set<String> expectedViolations() {
                return Set.of();
            }

            @Override
            public List<NotModelled> notModelled() {
                return List.of();
            }

            @Override
            public long stepCount() {
                return steps.size();
            }

            @Override
            public Iterable<Step> steps() {
                return steps;
            }
        };
    }
}
