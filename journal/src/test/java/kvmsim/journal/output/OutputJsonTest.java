package kvmsim.journal.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.history.StateFold;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.host.PageState;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.testing.JsonShape;
import kvmsim.journal.trace.TraceParser;
import org.junit.jupiter.api.Test;

/**
 * Every event, every final state and every violation chain the examples produce, as --json prints
 * them: objects with snake_case keys all the way down, an "event" or "state" key naming its class, and no
 * Java toString() (Name[field=...]) left in any value.
 */
class OutputJsonTest {

    @Test
    void everyEventStateAndChainOfTheExamplesIsPlainSnakeCaseJson() throws Exception {
        List<Path> examples;
        try (Stream<Path> s = Files.walk(Path.of("..", "examples"))) {
            examples = s.filter(p -> p.toString().endsWith(".trace")).sorted().toList();
        }
        Set<String> eventTypes = new TreeSet<>();
        Set<String> stateTypes = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        int chains = 0;
        for (Path example : examples) {
            Trace trace = TraceParser.parse(example);
            List<Emitted> events = new ArrayList<>();
            RunReport r = Replay.run("json", trace, Replay.policiesFor(trace, Map.of()), new ReferenceEngine(), false,
                    new ReplayListener() {
                        @Override
                        public void step(StepResult s) {
                        }

                        @Override
                        public void event(String entityPath, Recorded recorded) {
                            events.add(new Emitted(EntityId.parse(entityPath), recorded));
                        }
                    });
            for (Emitted e : events) {
                JsonNode n = OutputJson.tree(e.recorded().event());
                assertEquals(e.recorded().event().getClass().getSimpleName(), n.get("event").asText());
                eventTypes.add(n.get("event").asText());
                check(example + " event " + e.recorded().event(), n, problems);
            }
            for (EntityState s : StateFold.at(events, Integer.MAX_VALUE).values()) {
                JsonNode n = OutputJson.tree(s);
                assertEquals(s.getClass().getSimpleName(), n.get("state").asText());
                stateTypes.add(n.get("state").asText());
                check(example + " state " + s.getClass().getSimpleName(), n, problems);
            }
            for (Violation v : r.violations()) {
                JsonNode n = OutputJson.tree(v);
                chains++;
                assertTrue(n.get("chain").get(0).get("event").get("event").isTextual(), n.toString());
                check(example + " violation " + v.invariant(), n, problems);
            }
        }
        assertEquals(List.of(), problems);
        assertEquals(Set.of("HostState", "MemslotState", "VcpuState", "VmState"), stateTypes);
        assertTrue(eventTypes.size() > 40, "the examples persist many kinds of event: " + eventTypes);
        assertTrue(chains > 10, "the examples break invariants: " + chains);
    }

    @Test
    void theCheckCatchesWhatThePlainMapperWouldPrint() {
        HostEvent e = new HostEvent.HypPageStateSet(0x40000, 2, PageState.SHARED_OWNED);
        List<String> problems = new ArrayList<>();
        check("plain", new ObjectMapper().valueToTree(e), problems);
        check("plain", new ObjectMapper().valueToTree(Map.of("chain", e.toString())), problems);
        assertEquals(List.of("plain: key nrPages", "plain: a Java string " + e), problems);
        assertEquals("{\"event\":\"HypPageStateSet\",\"pfn\":262144,\"nr_pages\":2,\"state\":\"SHARED_OWNED\"}",
                OutputJson.tree(e).toString());
    }

    private static void check(String where, JsonNode n, List<String> problems) {
        problems.addAll(JsonShape.problems(where, n));
    }
}
