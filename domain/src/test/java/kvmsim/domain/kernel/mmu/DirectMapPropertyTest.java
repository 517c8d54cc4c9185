package kvmsim.domain.kernel.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.Folio;
import kvmsim.domain.host.HostState;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step.GpcStepKind;
import kvmsim.domain.vm.Gpc;
import kvmsim.domain.vm.VmState;
import org.junit.jupiter.api.Test;

/**
 * Random sequences of KVM_READ/WRITE_GUEST and gfn_to_pfn cache activate/refresh/deactivate/access
 * (and MMU-notifier invalidations) over three private pages of a NO_DIRECT_MAP guest_memfd: under
 * refcounted and exclusive no invariant ever breaks and the bookkeeping holds; unchecked breaks them.
 */
class DirectMapPropertyTest {

    private static final int SEQUENCES = 300;
    private static final int OPS = 30;
    private static final String[] CACHES = {"A", "B", "C"};

    /** One random sequence, seeded: the same seed gives the same trace under every policy. */
    private static X86Run sequence(long seed) {
        Random rnd = new Random(seed);
        X86Run t = PfnCacheTest.privatePages();
        for (int i = 0; i < OPS; i++) {
            long page = rnd.nextInt(3) * 0x1000L;
            String c = CACHES[rnd.nextInt(CACHES.length)];
            switch (rnd.nextInt(7)) {
                case 0 -> t.kvmCopy(page + rnd.nextInt(64) * 8, 8, false);
                case 1 -> t.kvmCopy(page + rnd.nextInt(64) * 8, 8, true);
                case 2, 3 -> t.gpcActivate(c, page + rnd.nextInt(8) * 32, 32);
                case 4 -> t.gpc(c, GpcStepKind.DEACTIVATE);
                case 5 -> t.gpc(c, rnd.nextBoolean() ? GpcStepKind.ACCESS : GpcStepKind.REFRESH);
                default -> t.invalidate(page, 0x1000);
            }
        }
        return t;
    }

    private record Outcome(int brokenRuns, List<Violation> firstBroken, long firstBrokenSeed) {
    }

    private static Outcome run(String policy) {
        int broken = 0;
        List<Violation> first = null;
        long firstSeed = -1;
        for (long seed = 1; seed <= SEQUENCES; seed++) {
            X86Run t = sequence(seed);
            X86Run.Replayed r = t.replayWith(Map.of(Policies.GPC_DIRECT_MAP, policy));
            if (!r.violations().isEmpty()) {
                broken++;
                if (first == null) {
                    first = r.violations();
                    firstSeed = seed;
                }
            }
            checkBookkeeping(t, policy, seed);
        }
        return new Outcome(broken, first, firstSeed);
    }

    /** What the policies promise about the folios, read from the entities' final state. */
    private static void checkBookkeeping(X86Run t, String policy, long seed) {
        HostState host = (HostState) t.engine().state(EntityId.host("host0"));
        VmState vm = (VmState) t.engine().state(EntityId.vm("vm0"));
        Map<Long, Integer> holders = new HashMap<>();
        for (Gpc g : vm.gpcs().values()) {
            if (g.mapped() && g.isPrivate()) {
                holders.merge(g.pfn(), 1, Integer::sum);
            }
        }
        for (Map.Entry<Long, Folio> e : host.folios().entrySet()) {
            Folio f = e.getValue();
            int n = holders.getOrDefault(e.getKey(), 0);
            String where = "seed " + seed + " pfn " + e.getKey() + " " + f + " held by " + n;
            assertTrue(!f.locked(), "no folio stays locked between steps: " + where);
            if (policy.equals("unchecked")) {
                continue;
            }
            assertEquals(n > 0, f.directMap(), "present in the direct map iff a cache holds it: " + where);
            assertEquals(!f.directMap(), f.pgPrivate(), "PG_private says whether the entry is gone: " + where);
            if (policy.equals("refcounted")) {
                assertEquals(n, f.mapCount(), "page_private() counts the holders: " + where);
            } else {
                assertTrue(n <= 1, "one cache per pfn: " + where);
            }
        }
    }

    @Test
    void refcountedNeverBreaksTheInvariants() {
        Outcome o = run("refcounted");
        assertEquals(0, o.brokenRuns(), "seed " + o.firstBrokenSeed() + ": " + o.firstBroken());
    }

    @Test
    void exclusiveNeverBreaksTheInvariants() {
        Outcome o = run("exclusive");
        assertEquals(0, o.brokenRuns(), "seed " + o.firstBrokenSeed() + ": " + o.firstBroken());
    }

    @Test
    void uncheckedBreaksThemAndTheAuditorSaysHow() {
        Outcome o = run("unchecked");
        assertTrue(o.brokenRuns() > SEQUENCES / 10, o.brokenRuns() + " of " + SEQUENCES + " sequences broke");
        List<String> ids = new ArrayList<>();
        o.firstBroken().forEach(v -> ids.add(v.invariant()));
        assertTrue(ids.contains("gpc-mapping-broken"), ids.toString());
    }
}
