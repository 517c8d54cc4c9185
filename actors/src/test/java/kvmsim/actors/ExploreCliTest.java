package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import kvmsim.actors.testing.Cli.Result;
import org.junit.jupiter.api.Test;

/**
 * {@code kvmsim explore} on the seed races: what each policy lets some order break, what it proves clean, and that every
 * counterexample it writes replays with exit 0 on both engines (and fails its violations CHECK under the fixing policy).
 */
class ExploreCliTest {

    static final String SEED_004 = "examples/explore/seed-004-write-vs-enable-logging.trace";
    static final String SEED_001 = "examples/explore/seed-001-kvmclock-caches-vs-read-guest.trace";
    static final String SEED_000_003 = "examples/explore/seed-000-003-vcpu-vs-lock-mte-reset.trace";

    @Test
    void seed004IfModifiedLosesAWriteInSomeOrderAndUnconditionalInNone() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-explore");
        Result bad = kvmsim("explore", "--policy", "dirty-log-flush=if-modified", SEED_004, "-o", dir.toString());
        assertEquals(1, bad.status(), bad.out() + bad.err());
        assertEquals(Set.of("stale-writable-tlb", "dirty-log-completeness"), broken(bad));
        assertTrue(bad.out().contains("stale-writable-tlb at vcpu/vm0/0 after 3 steps: guest:16 vmm:14 vmm:15"),
                bad.out());
        replaysAndTheFixIntervenes(dir, 2, "dirty-log-flush=unconditional");

        Result fixed = kvmsim("explore", "--policy", "dirty-log-flush=unconditional", SEED_004);
        assertEquals(0, fixed.status(), fixed.out());
        assertEquals(Set.of(), broken(fixed));
        assertTrue(fixed.out().contains("exhaustive"), fixed.out());
    }

    @Test
    void seed001UncheckedBreaksTheMappingAndRefcountedAndExclusiveAreClean() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-explore");
        Result bad = kvmsim("explore", "--policy", "gpc-direct-map=unchecked", SEED_001, "-o", dir.toString());
        assertEquals(1, bad.status(), bad.out() + bad.err());
        assertEquals(Set.of("gpc-mapping-broken", "direct-map-access"), broken(bad));
        replaysAndTheFixIntervenes(dir, 2, "gpc-direct-map=refcounted");
        for (String clean : List.of("refcounted", "exclusive")) {
            Result r = kvmsim("explore", "--policy", "gpc-direct-map=" + clean, SEED_001);
            assertEquals(0, r.status(), clean + ": " + r.out());
            assertTrue(r.out().contains("0 invariants broken in some order"), r.out());
        }
    }

    @Test
    void seed000LeaksOnlyUnderOnLockAndSeed003HoldsUnderBoth() throws Exception {
        Path dir = Files.createTempDirectory("kvmsim-explore");
        Result onLock = kvmsim("explore", SEED_000_003, "-o", dir.toString()); // the trace's POLICY: on-lock
        assertEquals(1, onLock.status(), onLock.out());
        assertEquals(Set.of("pending-op-leak", "icache-coherent-after-reset"), broken(onLock));
        replaysAndTheFixIntervenes(dir, 2, null);
        Result mteOnly = kvmsim("explore", "--policy", "sanitise-tags=mte-only", SEED_000_003);
        assertEquals(Set.of("icache-coherent-after-reset"), broken(mteOnly));
    }

    @Test
    void aTraceWithoutThreadsHasOneOrderAndItsExpectedViolationsPass() {
        Result r = kvmsim("explore", "examples/x86/seed-004-if-modified-stale-tlb.trace");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("no steps after the set-up prefix: one order; 1 interleaving"), r.out());
        assertTrue(r.out().contains("stale-writable-tlb at vcpu/vm0/0 in the set-up prefix, every order "
                + "(expected by the trace)"), r.out());
        assertTrue(r.out().contains("not judged: 6 CHECK steps"), r.out());
    }

    @Test
    void jsonHasOneCounterexampleObjectEachAndASummary() throws Exception {
        Result r = kvmsim("explore", "--json", SEED_004);
        assertEquals(1, r.status());
        List<JsonNode> lines = new ArrayList<>();
        for (String l : r.out().split("\n")) {
            lines.add(new ObjectMapper().readTree(l));
        }
        assertEquals(3, lines.size(), r.out());
        assertEquals("counterexample", lines.get(0).get("type").asText());
        assertEquals(3, lines.get(0).get("depth").asInt());
        assertEquals("guest", lines.get(0).get("order").get(0).get("thread").asText());
        JsonNode sum = lines.get(2);
        assertEquals("explore_summary", sum.get("type").asText());
        assertEquals(10, sum.get("interleavings").asInt());
        assertTrue(sum.get("exhaustive").asBoolean());
        assertEquals(1, sum.get("exit").asInt());
    }

    @Test
    void maxStatesCutsTheSearchAndSaysSo() {
        Result r = kvmsim("explore", "--max-states", "3", SEED_001);
        assertTrue(r.out().contains("NOT exhaustive: --max-states 3 stopped the search"), r.out());
        assertTrue(r.out().contains("invariants broken in some order of those explored"), r.out());
        // the QEMU recording's six strace threads: a count of orders too long to print whole
        Result qemu = kvmsim("explore", "--max-states", "50", "examples/strace/qemu-7.2-x86_64-1vcpu-migrate.trace");
        assertTrue(qemu.out().contains("6 threads: 10497 (433 steps)"), qemu.out());
        assertTrue(qemu.out().contains("; about 4.46e506 interleavings"), qemu.out());
    }

    @Test
    void badInputIsExitTwoWithFileAndLine() throws Exception {
        Path bad = Files.createTempFile("kvmsim-bad", ".trace");
        Files.writeString(bad, "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm0\",\"arch\":\"x86_64\"}\n{\"op\":\"NO_SUCH_OP\"}\n");
        Result r = kvmsim("explore", bad.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith(bad + ":2: "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals(2, kvmsim("explore", "--max-states", "0", SEED_004).status());
        assertEquals(2, kvmsim("explore", "--policy", "dirty-log-flush=sometimes", SEED_004).status());
    }

    // every file replays with exit 0 on both engines; under the fixing policy its violations CHECK fails
    private static void replaysAndTheFixIntervenes(Path dir, int files, String fix) throws Exception {
        List<Path> written;
        try (Stream<Path> s = Files.list(dir)) {
            written = s.sorted().toList();
        }
        assertEquals(files, written.size(), written.toString());
        for (Path f : written) {
            Result ref = kvmsim("replay", "-q", "--engine", "reference", f.toString());
            assertEquals(0, ref.status(), f + ": " + ref.out() + ref.err());
            Result actors = kvmsim("replay", "-q", "--journal", "mem", f.toString());
            assertEquals(0, actors.status(), f + ": " + actors.out() + actors.err());
            if (fix != null) {
                Result fixed = kvmsim("replay", "-q", "--engine", "reference", "--policy", fix, f.toString());
                assertEquals(1, fixed.status(), f + " under " + fix + ": " + fixed.out());
                assertTrue(fixed.out().contains("MISMATCH violations"), fixed.out());
            }
        }
    }

    private static Set<String> broken(Result r) {
        Set<String> out = new TreeSet<>();
        for (String line : r.out().split("\n")) {
            if (line.matches("^[a-z-]+ at [a-z]+/\\S+ (after|in) .*")) {
                out.add(line.substring(0, line.indexOf(' ')));
            }
        }
        return out;
    }
}
