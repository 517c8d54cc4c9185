package kvmsim.domain.abi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A named value of the KVM uapi (include/uapi/linux/kvm.h and the arch headers): an enum constant
 * whose name is the kernel's and whose value is the kernel's. Traces, strace recordings and the
 * model all look names up through these enums, so a name is written down once.
 */
public interface UapiValue {

    /** The kernel's value of this name. */
    long value();

    /** Every name of {@code type} with its value, in declaration order: the names a trace may use. */
    static <E extends Enum<E> & UapiValue> Map<String, Long> names(Class<E> type) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (E e : type.getEnumConstants()) {
            m.put(e.name(), e.value());
        }
        return Collections.unmodifiableMap(m);
    }

    /** The constant of {@code type} called {@code name}, or null. */
    static <E extends Enum<E> & UapiValue> E byName(Class<E> type, String name) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** The constant of {@code type} whose value is {@code value}, or null. */
    static <E extends Enum<E> & UapiValue> E byValue(Class<E> type, long value) {
        for (E e : type.getEnumConstants()) {
            if (e.value() == value) {
                return e;
            }
        }
        return null;
    }

    /** The OR of the values of {@code names}, each a constant of {@code type}. */
    static <E extends Enum<E> & UapiValue> long bits(Class<E> type, Iterable<String> names) {
        long bits = 0;
        for (String n : names) {
            E e = byName(type, n);
            if (e == null) {
                throw new IllegalArgumentException("not a " + type.getSimpleName() + ": " + n);
            }
            bits |= e.value();
        }
        return bits;
    }

    /** Whether {@code bits} has this flag. */
    default boolean in(long bits) {
        return (bits & value()) != 0;
    }
}
