package kvmsim.journal.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.BadStep;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;

/** The POLICY line: every field but op is a policy key (design.md, Policies) with its value. */
final class PolicyLine {

    private PolicyLine() {
    }

    static Step.Policy read(ObjectNode o, int line) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : o.properties()) {
            String key = e.getKey();
            if (key.equals("op")) {
                continue;
            }
            if (key.equals("expect")) {
                throw BadStep.of("POLICY takes no expect");
            }
            JsonNode v = e.getValue();
            String value;
            // pkvm-owner-bits is a number, so 8 and "8" both mean the policy value "8"
            if (v.isTextual()) {
                value = v.textValue();
            } else if (v.isIntegralNumber()) {
                value = v.bigIntegerValue().toString();
            } else {
                throw BadStep.of("policy '%s' must be a string, not %s", key, v);
            }
            String problem = Policies.problem(key, value);
            if (problem != null) {
                throw new BadStep(problem);
            }
            values.put(key, value);
        }
        return new Step.Policy(new StepMeta(line, StepReader.DEFAULT_THREAD, Expect.NONE),
                Collections.unmodifiableMap(values));
    }
}
