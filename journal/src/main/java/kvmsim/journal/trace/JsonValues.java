package kvmsim.journal.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.trace.BadStep;

/**
 * How values are written in a trace line (trace-format.md, "Lines"): numbers, ids, flag sets,
 * names. Each reader names the field in its message when the value is bad.
 */
final class JsonValues {

    private JsonValues() {
    }

    static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern HEX = Pattern.compile("0[xX][0-9a-fA-F]+");
    private static final Pattern DEC = Pattern.compile("-?[0-9]+");
    static final Pattern ERRNO_NAME = Pattern.compile("E[A-Z0-9_]{1,31}");
    static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    static final BigInteger U32_MAX = BigInteger.valueOf(0xFFFF_FFFFL);

    static BigInteger max(int bits) {
        return bits == 32 ? U32_MAX : U64_MAX;
    }

    static boolean isNumeric(String s) {
        return HEX.matcher(s).matches() || DEC.matcher(s).matches();
    }

    static BigInteger integer(JsonNode v, String f) {
        if (v.isIntegralNumber()) {
            return v.bigIntegerValue();
        }
        if (v.isNumber()) {
            throw BadStep.of("'%s' must be an integer, not %s", f, v);
        }
        if (v.isTextual()) {
            String s = v.textValue();
            if (HEX.matcher(s).matches()) {
                return new BigInteger(s.substring(2), 16);
            }
            if (DEC.matcher(s).matches()) {
                return new BigInteger(s);
            }
        }
        throw BadStep.of("'%s' must be a number or a numeric string, not %s", f, v);
    }

    static long unsigned(JsonNode v, String f, BigInteger max) {
        BigInteger b = integer(v, f);
        if (b.signum() < 0) {
            throw BadStep.of("'%s' must not be negative, not %s", f, b);
        }
        if (b.compareTo(max) > 0) {
            throw BadStep.of("'%s' is larger than %s", f, max.equals(U32_MAX) ? "2^32-1" : "2^64-1");
        }
        // u64 values above 2^63-1 are kept as the same 64 bits in a (negative) long
        return b.longValue();
    }

    static long u64(JsonNode v, String f) {
        return unsigned(v, f, U64_MAX);
    }

    static long u32(JsonNode v, String f) {
        return unsigned(v, f, U32_MAX);
    }

    /** A signed return value, as an ioctl's int or a syscall's long. */
    static long s64(JsonNode v, String f) {
        BigInteger b = integer(v, f);
        if (b.bitLength() > 63) {
            throw BadStep.of("'%s' does not fit a signed 64-bit integer", f);
        }
        return b.longValue();
    }

    static List<Long> u64List(JsonNode v, String f) {
        List<Long> out = new ArrayList<>();
        int i = 0;
        for (JsonNode e : list(v, f)) {
            out.add(u64(e, f + "[" + i++ + "]"));
        }
        return List.copyOf(out);
    }

    static JsonNode list(JsonNode v, String f) {
        if (!v.isArray()) {
            throw BadStep.of("'%s' must be a list, not %s", f, v);
        }
        return v;
    }

    /**
     * A flag set: a list of names, a number, or one name. Also used for enumerations that take a
     * name or a number (the ARM target), where {@code what} names the shape for messages.
     */
    static long flags(JsonNode v, String f, Map<String, Long> names, BigInteger max, String what) {
        if (v.isArray() && what == null) {
            long bits = 0;
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw BadStep.of("'%s' entries must be flag names, not %s", f, e);
                }
                bits |= flagName(e.textValue(), f, names);
            }
            return bits;
        }
        if (v.isTextual() && !isNumeric(v.textValue())) {
            return flagName(v.textValue(), f, names);
        }
        if (v.isNumber() || v.isTextual()) {
            return unsigned(v, f, max);
        }
        throw BadStep.of("'%s' must be %s, not %s", f, what == null ? "a list of flag names or a number" : what
                + " or a number", v);
    }

    private static long flagName(String name, String f, Map<String, Long> names) {
        Long bits = names.get(name);
        if (bits == null) {
            throw BadStep.of("unknown name '%s' in '%s' (%s)", name, f,
                    names.isEmpty() ? "it takes numbers only" : "known: " + String.join(", ", names.keySet()));
        }
        return bits;
    }

    static String id(JsonNode v, String f) {
        if (!v.isTextual()) {
            throw BadStep.of("'%s' must be a string, not %s", f, v);
        }
        if (!ID.matcher(v.textValue()).matches()) {
            throw BadStep.of("'%s' must match [A-Za-z0-9_.-]{1,64}, not %s", f, v);
        }
        return v.textValue();
    }

    static boolean bool(JsonNode v, String f) {
        if (!v.isBoolean()) {
            throw BadStep.of("'%s' must be true or false, not %s", f, v);
        }
        return v.booleanValue();
    }

    static Arch arch(JsonNode v) {
        Arch a = v.isTextual() ? Arch.byTraceName(v.textValue()) : null;
        if (a == null) {
            throw BadStep.of("'arch' must be arm64 or x86_64, not %s", v);
        }
        return a;
    }

    static String oneOf(JsonNode v, String f, List<String> allowed) {
        if (!v.isTextual() || !allowed.contains(v.textValue())) {
            throw BadStep.of("'%s' must be one of %s, not %s", f, String.join(", ", allowed), v);
        }
        return v.textValue();
    }

    static Set<String> nameSet(JsonNode v, String f, List<String> allowed, String what) {
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode e : list(v, f)) {
            if (!e.isTextual() || !allowed.contains(e.textValue())) {
                throw BadStep.of("unknown %s %s in '%s' (known: %s)", what, e, f, String.join(", ", allowed));
            }
            out.add(e.textValue());
        }
        return Collections.unmodifiableSet(out);
    }

    /** As boolObject(), except that each property {@code choices} names is null or one of its strings. */
    static Map<String, Object> propsObject(JsonNode v, String f, List<String> props, Map<String, List<String>> choices) {
        if (!v.isObject()) {
            throw BadStep.of("'%s' must be an object, not %s", f, v);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        ObjectNode rest = v.deepCopy();
        for (Map.Entry<String, List<String>> c : choices.entrySet()) {
            JsonNode e = rest.remove(c.getKey());
            if (e == null) {
                continue;
            }
            if (!e.isNull() && (!e.isTextual() || !c.getValue().contains(e.textValue()))) {
                throw BadStep.of("'%s.%s' must be null or one of %s, not %s", f, c.getKey(),
                        String.join(", ", c.getValue()), e);
            }
            out.put(c.getKey(), e.isNull() ? null : e.textValue());
        }
        if (rest.size() > 0 || out.isEmpty()) {
            out.putAll(boolObject(rest, f, props));
        }
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (String p : props) {
            if (out.containsKey(p)) {
                ordered.put(p, out.get(p));
            }
        }
        return Collections.unmodifiableMap(ordered);
    }

    static Map<String, Boolean> boolObject(JsonNode v, String f, List<String> props) {
        if (!v.isObject()) {
            throw BadStep.of("'%s' must be an object, not %s", f, v);
        }
        if (v.size() == 0) {
            throw BadStep.of("'%s' checks nothing: give some of %s", f, String.join(", ", props));
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            if (!props.contains(e.getKey())) {
                throw BadStep.of("unknown property '%s' in '%s' (known: %s)", e.getKey(), f, String.join(", ", props));
            }
            if (!e.getValue().isBoolean()) {
                throw BadStep.of("'%s.%s' must be true or false, not %s", f, e.getKey(), e.getValue());
            }
            out.put(e.getKey(), e.getValue().booleanValue());
        }
        return Collections.unmodifiableMap(out);
    }
}
