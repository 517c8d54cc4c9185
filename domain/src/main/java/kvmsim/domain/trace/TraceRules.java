package kvmsim.domain.trace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.host.HostFeatures;

/**
 * What a trace's lines say about each other (trace-format.md), checked as the lines come, in file
 * order: POLICY is the first step and comes once; a HOST line comes once, before its host's first
 * use; a pKVM step needs a host declared with features.pkvm before it; a host used without a HOST
 * line is declared with its arch's defaults where it is first used. It also says which valid steps
 * the model does not cover where they stand ({@link #notModelled}), for the replay to refuse them
 * before anything runs.
 */
public final class TraceRules {

    private static final String DEFAULT_THREAD = "main";

    /** The arch of each host's first VM, from a first pass over the trace; null during that pass. */
    private final Map<String, Arch> archHints;
    private int firstStepLine;
    private int policyLine;
    private final Map<String, Integer> hostDeclared = new LinkedHashMap<>();
    private final Map<String, Integer> hostFirstUse = new LinkedHashMap<>();
    private final Set<String> pkvmHosts = new LinkedHashSet<>();
    private final Map<String, Arch> firstVmArchOnHost = new LinkedHashMap<>();
    private final Set<String> x86Vms = new LinkedHashSet<>();
    private final Set<String> arm64Vms = new LinkedHashSet<>();

    /** {@code archHints}: {@link #hostArchs()} of a first pass, or null in that pass. */
    public TraceRules(Map<String, Arch> archHints) {
        this.archHints = archHints;
    }

    /** The arch of each host's first VM: a host used without HOST gets that arch's defaults. */
    public Map<String, Arch> hostArchs() {
        return Map.copyOf(firstVmArchOnHost);
    }

    /** A line with an op starts at {@code line}. */
    public void line(int line) {
        if (firstStepLine == 0) {
            firstStepLine = line;
        }
    }

    /** A POLICY line at {@code line}, checked before its values are read. */
    public void policy(int line) {
        if (policyLine != 0) {
            throw BadStep.of("POLICY given twice (first at line %d)", policyLine);
        }
        if (firstStepLine != line) {
            throw BadStep.of("POLICY must be the first step of the trace (the first is at line %d)", firstStepLine);
        }
        policyLine = line;
    }

    /**
     * A step that passed its own checks: the steps to run for it, in order (the implicit
     * declarations of hosts it is the first to use, then the step).
     */
    public List<Step> accept(Step step) {
        List<String> implicit = new ArrayList<>();
        switch (step) {
            case Step.HostDecl h -> declare(h);
            case Step.CreateVm c -> {
                use(c.host(), c.line(), implicit);
                firstVmArchOnHost.putIfAbsent(c.host(), c.arch());
                (c.arch() == Arch.X86_64 ? x86Vms : arm64Vms).add(c.vm());
            }
            case Step.OnPkvmHost p -> usePkvm(p.host(), step.op(), step.line(), implicit);
            case Step.OnHost h -> use(h.host(), step.line(), implicit);
            case Step.Check c when c.host() != null -> usePkvm(c.host(),
                    "CHECK " + String.join(", ", c.items().stream().map(i -> i.key().traceName).toList()),
                    c.line(), implicit);
            default -> {
                // the other steps name no host
            }
        }
        List<Step> out = new ArrayList<>();
        for (String host : implicit) {
            // a host's arch is known only from the VMs created on it, possibly after its first use
            // (an MMAP before KVM_CREATE_VM), hence the hints of a first pass
            Arch arch = archHints == null ? Arch.ARM64 : archHints.getOrDefault(host, Arch.ARM64);
            StepMeta meta = new StepMeta(hostFirstUse.get(host), DEFAULT_THREAD, Expect.NONE);
            out.add(new Step.HostDecl(meta, host, arch, HostFeatures.defaults(arch), true));
        }
        out.add(step);
        return out;
    }

    private void declare(Step.HostDecl h) {
        Integer declared = hostDeclared.get(h.host());
        if (declared != null) {
            throw BadStep.of("HOST %s was already declared at line %d", h.host(), declared);
        }
        Integer used = hostFirstUse.get(h.host());
        if (used != null) {
            throw BadStep.of("HOST %s comes after its first use at line %d", h.host(), used);
        }
        hostDeclared.put(h.host(), h.line());
        if (h.features().pkvm()) {
            pkvmHosts.add(h.host());
        }
    }

    private void use(String host, int line, List<String> implicit) {
        if (hostFirstUse.putIfAbsent(host, line) == null && !hostDeclared.containsKey(host)) {
            implicit.add(host);
        }
    }

    private void usePkvm(String host, String what, int line, List<String> implicit) {
        if (!pkvmHosts.contains(host)) {
            throw BadStep.of("%s needs a pKVM host: declare %s with {\"op\":\"HOST\",\"host\":\"%s\",\"arch\":\"arm64\","
                    + "\"features\":{\"pkvm\":true}} before it", what, host, host);
        }
        use(host, line, implicit);
    }

    /** Whether the VM was created as arm64 and never as x86 by the lines so far. */
    public boolean onArm64(String vm) {
        return arm64Vms.contains(vm) && !x86Vms.contains(vm);
    }

    /** Why the model does not cover {@code step} where it stands, or null when it does. */
    public NotModelled notModelled(Step step) {
        String why = Ops.of(step).notModelled(step, this);
        return why == null ? null : new NotModelled(step.line(), step.op(), why);
    }

    /** The steps of an in-memory trace the model does not cover. */
    public static List<NotModelled> notModelledIn(Iterable<Step> steps) {
        TraceRules rules = new TraceRules(null);
        List<NotModelled> out = new ArrayList<>();
        for (Step s : steps) {
            NotModelled n = rules.notModelled(s);
            if (n != null) {
                out.add(n);
            }
            if (s instanceof Step.CreateVm c) {
                (c.arch() == Arch.X86_64 ? rules.x86Vms : rules.arm64Vms).add(c.vm());
            }
        }
        return out;
    }
}
