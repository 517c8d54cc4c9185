package kvmsim.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.history.StateFold;
import kvmsim.domain.trace.Trace;
import kvmsim.journal.trace.TraceParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Time travel is exact: for every example and after every step, folding the events up to that
 * step's line gives the state each entity of the live reference engine had right then.
 */
class StateFoldTest {

    static java.util.stream.Stream<Path> examples() throws Exception {
        return EnginesAgreeTest.examples();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void foldingTheEventsUpToAStepGivesTheLiveStateAfterIt(Path example) throws Exception {
        Trace trace = TraceParser.parse(example);
        ReferenceEngine engine = new ReferenceEngine();
        List<Emitted> events = new ArrayList<>();
        Map<Integer, Map<EntityId, EntityState>> live = new HashMap<>();
        Replay.run("fold", trace, Replay.policiesFor(trace, Map.of()), engine, false, new ReplayListener() {
            @Override
            public void step(StepResult s) {
                Map<EntityId, EntityState> now = new HashMap<>();
                events.forEach(e -> now.put(e.entity(), engine.state(e.entity())));
                live.put(s.line(), now);
            }

            @Override
            public void event(String entityPath, Recorded recorded) {
                events.add(new Emitted(EntityId.parse(entityPath), recorded));
            }
        });
        assertTrue(live.size() > 3);
        live.forEach((line, states) -> assertEquals(states, StateFold.at(events, line), example + " after line " + line));
    }
}
