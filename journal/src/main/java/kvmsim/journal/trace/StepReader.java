package kvmsim.journal.trace;

import static kvmsim.journal.trace.JsonValues.U32_MAX;
import static kvmsim.journal.trace.JsonValues.U64_MAX;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.UapiValue;
import kvmsim.domain.abi.VmType;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.host.MmuMode;
import kvmsim.domain.trace.Args;
import kvmsim.domain.trace.BadStep;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Field;
import kvmsim.domain.trace.FieldType;
import kvmsim.domain.trace.Op;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vcpu.GuestPte;

/**
 * Reads one line of a registered op (trace/Ops): checks that it names only the op's fields and
 * gives the required ones, reads each field as its type says, then {@code thread} and
 * {@code expect}. The op's parser turns the result into a step.
 */
final class StepReader {

    static final String DEFAULT_THREAD = "main";
    private static final Set<String> EXPECT_KEYS = Set.of("ret", "errno", "exit", "tlb", "dirty_pages", "result",
            "harvested");

    private StepReader() {
    }

    static Args read(ObjectNode o, Op<?> op, int line) {
        checkFields(o, op);
        Map<String, Object> values = new LinkedHashMap<>();
        for (Field f : op.fields()) {
            JsonNode v = o.get(f.name());
            boolean absent = v == null || (v.isNull() && f.type() instanceof FieldType.Named);
            values.put(f.name(), absent ? f.absent() : value(f, v, values));
        }
        return new Args(meta(o, line, op.name(), op.expect()), values);
    }

    private static void checkFields(ObjectNode o, Op<?> op) {
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.equals("op") || name.equals("thread") || op.fields().stream().anyMatch(f -> f.name().equals(name))) {
                continue;
            }
            if (name.equals("expect")) {
                if (op.expect().isEmpty()) {
                    throw BadStep.of("%s takes no expect", op.name());
                }
                continue;
            }
            throw BadStep.of("unknown field '%s' for %s", name, op.name());
        }
        for (Field f : op.fields()) {
            if (f.required() && !o.has(f.name())) {
                throw BadStep.of("missing field '%s'", f.name());
            }
        }
    }

    private static Object value(Field f, JsonNode v, Map<String, Object> before) {
        String name = f.name();
        return switch (f.type()) {
            case FieldType.Unsigned u -> JsonValues.unsigned(v, name, JsonValues.max(u.bits()));
            case FieldType.Signed s -> JsonValues.s64(v, name);
            case FieldType.Id i -> JsonValues.id(v, name);
            case FieldType.Text t -> {
                if (!v.isTextual() || v.textValue().isEmpty()) {
                    throw BadStep.of("'%s' must be a non-empty string, not %s", name, v);
                }
                yield v.textValue();
            }
            case FieldType.Bool b -> JsonValues.bool(v, name);
            case FieldType.OneOf one -> JsonValues.oneOf(v, name, one.values());
            case FieldType.Flags fl -> JsonValues.flags(v, name, fl.names(), JsonValues.max(fl.bits()), null);
            case FieldType.Named n -> JsonValues.flags(v, name, n.names(), JsonValues.max(n.bits()), n.what());
            case FieldType.UnsignedList l -> JsonValues.u64List(v, name);
            case FieldType.ErrnoName e -> {
                if (!v.isTextual() || !JsonValues.ERRNO_NAME.matcher(v.textValue()).matches()) {
                    throw BadStep.of("'%s' must be an errno name such as \"EINVAL\", not %s", name, v);
                }
                yield v.textValue();
            }
            case FieldType.ArchName a -> JsonValues.arch(v);
            case FieldType.CapName c -> cap(v);
            case FieldType.CapFlags c -> JsonValues.flags(v, name, ((Cap) before.get(c.capField())).flagNames,
                    U32_MAX, null);
            case FieldType.CapArgs c -> capArgs(v, (Cap) before.get(c.capField()));
            case FieldType.VmTypeOf t -> vmType(v, (Arch) before.get(t.archField()), name);
            case FieldType.Features fs -> features(v, (Arch) before.get(fs.archField()));
            case FieldType.GuestPteBits g -> guestPte(v, name);
        };
    }

    /** Both bits must be given: a gPTE the trace half describes would be read as W or D set. */
    private static GuestPte guestPte(JsonNode v, String field) {
        List<String> keys = List.of(GuestPte.WRITABLE, GuestPte.DIRTY);
        Map<String, Boolean> bits = JsonValues.boolObject(v, field, keys);
        for (String k : keys) {
            if (!bits.containsKey(k)) {
                throw BadStep.of("'%s' must give both %s", field, String.join(" and ", keys));
            }
        }
        return new GuestPte(bits.get(GuestPte.WRITABLE), bits.get(GuestPte.DIRTY));
    }

    private static Cap cap(JsonNode c) {
        if (!c.isTextual()) {
            throw BadStep.of("'cap' must be a capability name, not %s", c);
        }
        Cap cap = UapiValue.byName(Cap.class, c.textValue());
        if (cap == null) {
            throw BadStep.of("unknown cap '%s' (known: %s)", c.textValue(),
                    String.join(", ", UapiValue.names(Cap.class).keySet()));
        }
        return cap;
    }

    private static List<Long> capArgs(JsonNode a, Cap cap) {
        if (!a.isArray()) {
            throw BadStep.of("'args' must be a list, not %s", a);
        }
        if (a.size() > 4) {
            throw BadStep.of("'args' has %d entries, at most 4 allowed", a.size());
        }
        List<Long> args = new ArrayList<>(List.of(0L, 0L, 0L, 0L));
        for (int i = 0; i < a.size(); i++) {
            args.set(i, JsonValues.flags(a.get(i), "args[" + i + "]", cap.argNames, U64_MAX, null));
        }
        return List.copyOf(args);
    }

    /** x86: a type name kept as written, or a number turned into its uapi name; arm64: a number's decimal text, or a name. */
    private static String vmType(JsonNode t, Arch arch, String field) {
        if (t.isTextual() && !t.textValue().isEmpty() && !JsonValues.isNumeric(t.textValue())) {
            return t.textValue();
        }
        if (arch == Arch.X86_64) {
            if (!t.isTextual() && !t.isNumber()) {
                throw BadStep.of("'%s' must be a VM type name or a number, not %s", field, t);
            }
            long n = JsonValues.u64(t, field);
            VmType type = UapiValue.byValue(VmType.class, n);
            return type != null ? type.name() : Long.toUnsignedString(n);
        }
        // arm64 types are numbers (the IPA size): kept as their decimal value
        return Long.toUnsignedString(JsonValues.u64(t, field));
    }

    private static HostFeatures features(JsonNode features, Arch arch) {
        if (!features.isObject()) {
            throw BadStep.of("'features' must be an object, not %s", features);
        }
        HostFeatures f = HostFeatures.defaults(arch);
        for (Map.Entry<String, JsonNode> e : features.properties()) {
            HostFeature feature = HostFeature.of(e.getKey(), arch);
            if (feature == null) {
                throw BadStep.of("unknown feature '%s' for an %s host", e.getKey(), arch.traceName);
            }
            f = f.with(feature, featureValue(feature, e.getValue()));
        }
        if (f.contradiction() != null) {
            throw BadStep.of("%s", f.contradiction());
        }
        return f;
    }

    private static Object featureValue(HostFeature feature, JsonNode v) {
        String k = feature.traceName;
        return switch (feature.kind) {
            case BOOL -> {
                if (!v.isBoolean()) {
                    throw BadStep.of("feature '%s' must be true or false, not %s", k, v);
                }
                yield v.booleanValue();
            }
            case VM_TYPES -> {
                List<String> types = new ArrayList<>();
                for (JsonNode t : JsonValues.list(v, k)) {
                    String name = vmType(t, Arch.X86_64, k);
                    if (!types.contains(name)) {
                        types.add(name);
                    }
                }
                yield types;
            }
            case GMEM_FLAGS -> {
                Map<String, Long> known = UapiValue.names(kvmsim.domain.abi.GmemFlag.class);
                List<String> flags = new ArrayList<>();
                for (JsonNode t : JsonValues.list(v, k)) {
                    if (!t.isTextual() || !known.containsKey(t.textValue())) {
                        throw BadStep.of("unknown guest_memfd flag %s in '%s' (known: %s)", t, k,
                                String.join(", ", known.keySet()));
                    }
                    if (!flags.contains(t.textValue())) {
                        flags.add(t.textValue());
                    }
                }
                yield flags;
            }
            case NUMBER -> JsonValues.u64(v, k);
            case MMU_MODE -> {
                MmuMode mode = v.isTextual() ? MmuMode.ofTraceName(v.textValue()) : null;
                if (mode == null) {
                    throw BadStep.of("feature '%s' must be one of %s, not %s", k, Arrays.stream(MmuMode.values())
                            .map(m -> "\"" + m.traceName + "\"").collect(Collectors.joining(", ")), v);
                }
                yield mode;
            }
        };
    }

    // ---- thread and expect ----

    static StepMeta meta(ObjectNode o, int line, String op, Set<String> expectKeys) {
        String thread = DEFAULT_THREAD;
        JsonNode t = o.get("thread");
        if (t != null) {
            if (!t.isTextual() || t.textValue().isEmpty()) {
                throw BadStep.of("'thread' must be a non-empty string, not %s", t);
            }
            thread = t.textValue();
        }
        JsonNode e = o.get("expect");
        return new StepMeta(line, thread, e == null ? Expect.NONE : expect(e, op, expectKeys));
    }

    private static Expect expect(JsonNode e, String op, Set<String> allowed) {
        if (!e.isObject()) {
            throw BadStep.of("'expect' must be an object, not %s", e);
        }
        for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!EXPECT_KEYS.contains(k)) {
                throw BadStep.of("unknown expect key '%s'", k);
            }
            if (!allowed.contains(k)) {
                throw BadStep.of("expect key '%s' does not apply to %s", k, op);
            }
        }
        Long ret = e.has("ret") ? JsonValues.s64(e.get("ret"), "ret") : null;
        String errno = null;
        if (e.has("errno")) {
            JsonNode v = e.get("errno");
            if (!v.isTextual()) {
                throw BadStep.of("'errno' must be an errno name, not %s", v);
            }
            if (Errno.byName(v.textValue()) == null) {
                throw BadStep.of("unknown errno '%s'", v.textValue());
            }
            errno = v.textValue();
        }
        String exit = e.has("exit")
                ? JsonValues.oneOf(e.get("exit"), "exit", Arrays.stream(GuestExit.values()).map(Enum::name).toList())
                : null;
        String tlb = e.has("tlb") ? JsonValues.oneOf(e.get("tlb"), "tlb", List.of("hit", "miss")) : null;
        List<Long> dirty = e.has("dirty_pages") ? JsonValues.u64List(e.get("dirty_pages"), "dirty_pages") : null;
        String result = e.has("result") ? JsonValues.oneOf(e.get("result"), "result", List.of("mapped", "denied"))
                : null;
        List<List<Long>> harvested = e.has("harvested") ? harvested(e.get("harvested")) : null;
        return new Expect(ret, errno, exit, tlb, dirty, result, harvested);
    }

    // [[slot, offset], ...]: struct kvm_dirty_gfn's slot (as_id << 16 | id) and offset, in ring order
    private static List<List<Long>> harvested(JsonNode h) {
        if (!h.isArray()) {
            throw BadStep.of("'harvested' must be a list of [slot, offset] pairs, not %s", h);
        }
        List<List<Long>> out = new ArrayList<>();
        for (JsonNode pair : h) {
            if (!pair.isArray() || pair.size() != 2) {
                throw BadStep.of("'harvested' must be a list of [slot, offset] pairs, not %s", h);
            }
            out.add(List.of(JsonValues.unsigned(pair.get(0), "slot", U32_MAX),
                    JsonValues.unsigned(pair.get(1), "offset", U64_MAX)));
        }
        return List.copyOf(out);
    }
}
