package kvmsim.domain.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.audit.Auditor;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Event;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.host.HostEvent.HostDeclared;
import org.junit.jupiter.api.Test;

/**
 * Random sequences of every transition, host abort and multi-page donation over a few pages (one
 * 2 MiB aligned run among them, so donations can be block-sized) and two guests. After every call
 * the hypervisor's state keeps kvm-semantics.md 4.3: one owner per page, shared on one side iff
 * borrowed on the other, table refcount == 1 + counted entries, pins only on borrowed pages, and
 * the auditor, fed the same events, finds nothing.
 */
class PkvmPropertyTest {

    private static final long BLOCK = 0x40200; // 2 MiB aligned
    private static final long[] PAGES = {BLOCK - 1, BLOCK, BLOCK + 1, BLOCK + 2, BLOCK + 511, BLOCK + 512};
    private static final String[] VMS = {"vm0", "vm1"};
    private static final int SEQUENCES = 300;
    private static final int STEPS = 40;

    @Test
    void randomTransitionSequencesKeepTheInvariants() {
        for (long seed = 1; seed <= SEQUENCES; seed++) {
            run(seed);
        }
    }

    private static void run(long seed) {
        Random r = new Random(seed);
        Hyp hyp = new Hyp();
        Set<Long> ffa = new HashSet<>(); // pages the host shared with the secure world
        Auditor auditor = new Auditor();
        EntityId host = EntityId.host("host0");
        auditor.observe(host, new Recorded(0, new HostDeclared(kvmsim.domain.abi.Arch.ARM64,
                kvmsim.domain.host.HostFeatures.defaults(kvmsim.domain.abi.Arch.ARM64), 8)));
        for (int step = 1; step <= STEPS; step++) {
            long pfn = PAGES[r.nextInt(PAGES.length)];
            int before = hyp.events.size();
            String did;
            int op = r.nextInt(13);
            Errno e;
            switch (op) {
                case 0:
                case 1: {
                    // a whole 2 MiB run or one page
                    boolean block = r.nextBoolean();
                    long p = block ? BLOCK : pfn;
                    long n = block ? 512 : 1;
                    Hvc hvc = op == 0 ? Hvc.HOST_DONATE_HYP : Hvc.HYP_DONATE_HOST;
                    e = hyp.call(hvc, p, n);
                    did = hvc + " " + Long.toHexString(p) + "+" + n;
                    break;
                }
                case 2:
                case 3:
                case 4:
                case 5:
                case 6:
                case 7: {
                    Hvc hvc = List.of(Hvc.HOST_SHARE_HYP, Hvc.HOST_UNSHARE_HYP, Hvc.HYP_PIN_SHARED,
                            Hvc.HYP_UNPIN_SHARED, Hvc.HOST_SHARE_FFA, Hvc.HOST_UNSHARE_FFA).get(op - 2);
                    e = hyp.call(hvc, pfn, 1);
                    if (e == null && hvc == Hvc.HOST_SHARE_FFA) {
                        ffa.add(pfn);
                    } else if (e == null && hvc == Hvc.HOST_UNSHARE_FFA) {
                        ffa.remove(pfn);
                    }
                    did = hvc + " " + Long.toHexString(pfn);
                    break;
                }
                case 8:
                case 9: {
                    String vm = VMS[r.nextInt(2)];
                    long gfn = r.nextInt(3);
                    e = op == 8 ? hyp.shareGuest(pfn, vm, gfn) : hyp.unshareGuest(vm, gfn);
                    did = (op == 8 ? "share " : "unshare ") + Long.toHexString(pfn) + " " + vm + ":" + gfn;
                    break;
                }
                default: {
                    Access a = Access.values()[r.nextInt(3)];
                    e = hyp.abort(pfn, a) ? null : Errno.EPERM;
                    did = "abort " + Long.toHexString(pfn) + " " + a;
                }
            }
            for (Event ev : hyp.events.subList(before, hyp.events.size())) {
                auditor.observe(host, new Recorded(step, ev));
            }
            auditor.endStep(step);
            String where = "seed " + seed + " step " + step + " (" + did + " -> " + e + ")";
            check(hyp, ffa, where);
            assertEquals(List.of(), auditor.violations(), where);
        }
    }

    private static void check(Hyp hyp, Set<Long> ffa, String where) {
        PkvmState s = hyp.state;
        String p3 = hyp.refcountProblem();
        if (p3 != null) {
            fail(where + ": " + p3);
        }
        Map<Long, Integer> guestMaps = new HashMap<>();
        s.guests().values().forEach(g -> g.values().forEach(pfn -> guestMaps.merge(pfn, 1, Integer::sum)));
        for (long pfn = BLOCK - 1; pfn <= BLOCK + 512; pfn++) {
            PageState host = s.hostState(pfn);
            PageState hyp2 = s.hypState(pfn);
            long owner = s.owner(pfn);
            String at = where + " pfn " + Long.toHexString(pfn) + " host " + host + " hyp " + hyp2 + " owner " + owner;
            // P1/P2: one owner; the host has no page exactly when another component owns it
            assertEquals(host == PageState.NOPAGE, owner != PkvmState.ID_HOST, at);
            assertEquals(owner == PkvmState.ID_HYP, hyp2 == PageState.OWNED, at);
            // shared on one side iff borrowed on the other
            boolean borrowed = hyp2 == PageState.SHARED_BORROWED || guestMaps.containsKey(pfn) || ffa.contains(pfn);
            assertEquals(host == PageState.SHARED_OWNED, borrowed, at);
            assertEquals(guestMaps.getOrDefault(pfn, 0), s.shareGuestCount(pfn), at);
            assertTrue(s.pinCount(pfn) == 0 || hyp2 == PageState.SHARED_BORROWED, at);
        }
    }
}
