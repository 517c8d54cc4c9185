package kvmsim.actors.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvmsim.actors.engine.ActorEngine;
import kvmsim.actors.engine.ConcurrentReplay;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.actors.history.JournalReader;
import kvmsim.domain.audit.OfflineAudit;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunRecorder;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.entity.Emitted;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Trace;

/**
 * The check every engine-equality test makes: a trace replayed on the actors with {@code window}
 * steps in flight gives the reference engine's step results and report; the events read back from
 * the journal, per entity, are exactly the reference engine's; and auditing those stored events
 * offline finds exactly the violations the replay found online.
 */
public final class EnginesAgree {

    private EnginesAgree() {
    }

    /** What both engines agreed on: the reference engine's report and the stored events, by entity path. */
    public record Agreed(RunReport report, Map<String, List<Recorded>> stored) {
    }

    /** Runs both engines and asserts they agree. */
    public static Agreed check(KvmsimSystem sys, String run, Trace trace, Policies policies, int window) {
        RunRecorder refSteps = new RunRecorder();
        RunRecorder actSteps = new RunRecorder();
        RunReport ref = Replay.run(run, trace, policies, new ReferenceEngine(), false, refSteps);
        RunReport act = ConcurrentReplay.run(run, trace, policies, new ActorEngine(sys, run), window, false, actSteps);

        assertEquals(refSteps.steps(), actSteps.steps(), run + ": step results");
        assertEquals(ref, act, run + ": report");

        Map<String, List<Recorded>> stored = new TreeMap<>();
        List<Emitted> journalOrder = new ArrayList<>();
        for (JournalReader.Stored s : new JournalReader(sys.system()).runEvents(run, null)) {
            String path = s.persistenceId().substring(run.length() + 1);
            stored.computeIfAbsent(path, k -> new ArrayList<>()).add((Recorded) s.event());
            journalOrder.add(new Emitted(EntityId.parse(path), (Recorded) s.event()));
        }
        assertFalse(stored.isEmpty(), run + ": nothing in the journal");
        assertEquals(new TreeMap<>(refSteps.events()), stored, run + ": per-entity event streams in the journal");
        // the offline audit, from the journal's events alone, finds what the replay found online
        List<Violation> online = new ArrayList<>(act.violations());
        online.sort(OfflineAudit.ORDER);
        assertEquals(online, OfflineAudit.audit(journalOrder), run + ": offline audit of the stored run");
        return new Agreed(ref, stored);
    }
}
