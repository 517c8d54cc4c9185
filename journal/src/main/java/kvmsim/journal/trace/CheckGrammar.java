package kvmsim.journal.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import kvmsim.domain.audit.Invariant;
import kvmsim.domain.trace.BadStep;
import kvmsim.domain.trace.CheckItem;
import kvmsim.domain.trace.CheckKey;
import kvmsim.domain.trace.Ops;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;

/**
 * The CHECK line (trace-format.md, CHECK): selectors that name what to look at, and keys with the
 * values expected there; each key needs exactly its selectors (trace/CheckKey).
 */
final class CheckGrammar {

    private CheckGrammar() {
    }

    static Step.Check read(ObjectNode o, int line) {
        List<CheckKey> keys = new ArrayList<>();
        Set<String> selectors = new LinkedHashSet<>();
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (f.equals("op") || f.equals("thread")) {
                continue;
            }
            if (f.equals("expect")) {
                throw BadStep.of("CHECK takes no expect");
            }
            if (CheckKey.SELECTORS.contains(f)) {
                selectors.add(f);
            } else if (CheckKey.of(f) != null) {
                keys.add(CheckKey.of(f));
            } else {
                throw BadStep.of("unknown field '%s' for CHECK", f);
            }
        }
        if (keys.isEmpty()) {
            throw BadStep.of("CHECK has no key to check (keys: %s)",
                    String.join(", ", java.util.Arrays.stream(CheckKey.values()).map(k -> k.traceName).toList()));
        }
        String vm = o.has("vm") ? JsonValues.id(o.get("vm"), "vm") : null;
        Long slot = o.has("slot") ? JsonValues.u32(o.get("slot"), "slot") : null;
        Long gpa = o.has("gpa") ? JsonValues.u64(o.get("gpa"), "gpa") : null;
        Long vcpu = o.has("vcpu") ? JsonValues.u64(o.get("vcpu"), "vcpu") : null;
        String gpc = o.has("gpc") ? JsonValues.id(o.get("gpc"), "gpc") : null;
        String host = o.has("host") ? JsonValues.id(o.get("host"), "host") : null;
        Long pfn = o.has("pfn") ? JsonValues.u64(o.get("pfn"), "pfn") : null;
        List<String> given = CheckKey.SELECTORS.stream().filter(selectors::contains).toList();
        List<CheckItem> items = new ArrayList<>();
        for (CheckKey k : keys) {
            if (!k.selectors.equals(selectors)) {
                List<String> needed = CheckKey.SELECTORS.stream().filter(k.selectors::contains).toList();
                throw BadStep.of("CHECK '%s' needs %s (given: %s)", k.traceName,
                        needed.isEmpty() ? "no selector" : "selector " + String.join(", ", needed),
                        given.isEmpty() ? "none" : String.join(", ", given));
            }
            items.add(new CheckItem(k, value(k, o.get(k.traceName))));
        }
        StepMeta meta = StepReader.meta(o, line, Ops.CHECK.name(), Ops.CHECK.expect());
        return new Step.Check(meta, vm, slot, gpa, vcpu, gpc, host, pfn, List.copyOf(items));
    }

    private static Object value(CheckKey k, JsonNode v) {
        String f = k.traceName;
        return switch (k.value) {
            case CheckKey.Value.Names n -> JsonValues.nameSet(v, f, n.names(), n.what());
            case CheckKey.Value.Invariants i -> {
                Set<String> out = new LinkedHashSet<>();
                for (JsonNode e : JsonValues.list(v, f)) {
                    if (!e.isTextual() || Invariant.byId(e.textValue()) == null) {
                        throw BadStep.of("unknown invariant %s in 'violations'", e);
                    }
                    out.add(e.textValue());
                }
                yield Collections.unmodifiableSet(out);
            }
            case CheckKey.Value.NullOr n -> {
                if (v.isNull()) {
                    yield null;
                }
                if (!v.isTextual() || !n.values().contains(v.textValue())) {
                    throw BadStep.of("'%s' must be null, %s, not %s", f, String.join(" or ", n.values()), v);
                }
                yield v.textValue();
            }
            case CheckKey.Value.OneOf one -> JsonValues.oneOf(v, f, one.values());
            case CheckKey.Value.Bool b -> {
                if (!v.isBoolean()) {
                    throw BadStep.of("'%s' must be true or false, not %s", f, v);
                }
                yield v.booleanValue();
            }
            case CheckKey.Value.Pages p -> JsonValues.u64List(v, f);
            case CheckKey.Value.Props p -> JsonValues.propsObject(v, f, p.props(), p.choices());
            case CheckKey.Value.Tlb t -> {
                if (v.isNull()) {
                    yield null;
                }
                if (!v.isObject() || v.size() != 1 || !v.has("writable")) {
                    throw BadStep.of("'tlb' must be null or {\"writable\": true|false}, not %s", v);
                }
                yield JsonValues.boolObject(v, f, List.of("writable"));
            }
        };
    }
}
