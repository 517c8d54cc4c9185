package kvmsim.domain.kernel;

import kvmsim.domain.entity.Gateway;
import kvmsim.domain.kernel.gpc.PfnCache;
import kvmsim.domain.policy.DirectMapPolicy;
import kvmsim.domain.policy.Policies;

/**
 * What the kernel code of one trace step runs with: the entities, reached through a gateway, and
 * the run's policies (the kernel variant). Each trace op says which kernel function it runs
 * (trace/Ops); those functions live in the packages below this one, one per kernel entry point.
 */
public final class Kernel {

    private final Gateway gw;
    private final Policies policies;
    private final PfnCache pfnCache;

    public Kernel(Gateway gw, Policies policies) {
        this.gw = gw;
        this.policies = policies;
        this.pfnCache = new PfnCache(gw, DirectMapPolicy.of(policies));
    }

    public Gateway gw() {
        return gw;
    }

    public Policies policies() {
        return policies;
    }

    /** The VM's gfn_to_pfn caches, as the run's gpc-direct-map policy has them treat guest_memfd pages. */
    public PfnCache pfnCache() {
        return pfnCache;
    }
}
