package kvmsim.domain.kernel;

import kvmsim.domain.entity.Gateway;
import kvmsim.domain.policy.Policies;

/**
 * What the kernel code of one trace step runs with: the entities, reached through a gateway, and
 * the run's policies (the kernel variant). Each trace op says which kernel function it runs
 * (trace/Ops); those functions live in the packages below this one, one per kernel entry point.
 */
public final class Kernel {

    private final Gateway gw;
    private final Policies policies;

    public Kernel(Gateway gw, Policies policies) {
        this.gw = gw;
        this.policies = policies;
    }

    public Gateway gw() {
        return gw;
    }

    public Policies policies() {
        return policies;
    }
}
