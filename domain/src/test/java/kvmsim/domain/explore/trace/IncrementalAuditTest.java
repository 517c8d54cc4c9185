package kvmsim.domain.explore.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import kvmsim.domain.audit.Auditor;
import kvmsim.domain.audit.Violation;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.ReplayListener;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Recorded;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.Trace;
import org.junit.jupiter.api.Test;

/**
 * Explore folds each step's events into a copy of its state's auditor (Auditor.copy) instead of auditing the whole path
 * again: on random threaded traces, step after step, that gives the facts and the violations a fresh auditor folding the
 * whole path gives, and folding into the copy leaves the original as it was.
 */
class IncrementalAuditTest {

    private record StepEvents(int line, List<EntityId> entities, List<Recorded> events) {
    }

    // every step's events, in the file order, on the reference engine
    private static List<StepEvents> eventsBySteps(List<Step> steps, Policies policies) {
        List<StepEvents> out = new ArrayList<>();
        List<EntityId> entities = new ArrayList<>();
        List<Recorded> events = new ArrayList<>();
        Replay.run("inc", new Trace("random", steps), policies, new ReferenceEngine(), false, new ReplayListener() {
            @Override
            public void event(String entityPath, Recorded recorded) {
                entities.add(EntityId.parse(entityPath));
                events.add(recorded);
            }

            @Override
            public void step(StepResult s) {
                out.add(new StepEvents(s.line(), List.copyOf(entities), List.copyOf(events)));
                entities.clear();
                events.clear();
            }
        });
        return out;
    }

    private static List<Violation> fold(Auditor a, StepEvents s) {
        List<Violation> revealed = new ArrayList<>();
        for (int i = 0; i < s.events().size(); i++) {
            revealed.addAll(a.observe(s.entities().get(i), s.events().get(i)));
        }
        revealed.addAll(a.endStep(s.line()));
        return revealed;
    }

    @Test
    void foldingEachStepIntoACopyEqualsFoldingTheWholePathAndLeavesTheOriginal() {
        int violations = 0;
        for (long seed = 0; seed < 60; seed++) {
            RandomThreadedTraces.Generated g = RandomThreadedTraces.generate(seed);
            List<StepEvents> steps = eventsBySteps(g.steps(), Policies.defaults().with(g.policies()));
            Auditor incremental = new Auditor();
            for (int k = 0; k < steps.size(); k++) {
                Object before = incremental.facts();
                Auditor next = incremental.copy();
                List<Violation> revealed = fold(next, steps.get(k));
                assertEquals(before, incremental.facts(), "seed " + seed + " step " + k + ": the original is untouched");

                Auditor whole = new Auditor();
                List<Violation> last = List.of();
                for (int i = 0; i <= k; i++) {
                    last = fold(whole, steps.get(i));
                }
                assertEquals(whole.facts(), next.facts(), "seed " + seed + " step " + k);
                assertEquals(last, revealed, "seed " + seed + " step " + k);
                assertEquals(whole.violations(), next.violations(), "seed " + seed + " step " + k);
                violations += revealed.size();
                incremental = next;
            }
        }
        assertTrue(violations > 0, "some step revealed a violation: the reports were compared too");
    }
}
