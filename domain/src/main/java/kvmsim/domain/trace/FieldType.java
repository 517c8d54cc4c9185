package kvmsim.domain.trace;

import java.util.List;
import java.util.Map;

/**
 * How a field of a trace line is written (trace-format.md, "Lines"). The trace reader checks a
 * value against its type and hands the op's parser the Java value in brackets.
 */
public sealed interface FieldType {

    /** An unsigned integer of {@code bits} bits, as a JSON integer or a "0x.." or decimal string [long]. */
    record Unsigned(int bits) implements FieldType {
    }

    /** A signed 64-bit return value [long]. */
    record Signed() implements FieldType {
    }

    /** An id of a VM, host, guest_memfd or cache: {@code [A-Za-z0-9_.-]{1,64}} [String]. */
    record Id() implements FieldType {
    }

    /** A non-empty string [String]. */
    record Text() implements FieldType {
    }

    /** true or false [Boolean]. */
    record Bool() implements FieldType {
    }

    /** One of the given strings [String]. */
    record OneOf(List<String> values) implements FieldType {

        public OneOf {
            values = List.copyOf(values);
        }
    }

    /** A flag set: a list of the given names, one name, or a number of {@code bits} bits [long]. */
    record Flags(Map<String, Long> names, int bits) implements FieldType {
    }

    /** One of the given names or a number of {@code bits} bits; {@code what} names it in messages [long]. */
    record Named(Map<String, Long> names, int bits, String what) implements FieldType {
    }

    /** A list of unsigned 64-bit integers [List of Long]. */
    record UnsignedList() implements FieldType {
    }

    /** An errno name such as "EINVAL", whether or not the model ever returns it [String]. */
    record ErrnoName() implements FieldType {
    }

    /** arm64 or x86_64 [Arch]. */
    record ArchName() implements FieldType {
    }

    /** A capability name (abi/Cap) [Cap]. */
    record CapName() implements FieldType {
    }

    /** cap.flags: a flag set whose names depend on the capability in field {@code capField} [long]. */
    record CapFlags(String capField) implements FieldType {
    }

    /** cap.args: up to four numbers or flag sets, named as the capability in {@code capField} names them [List of Long, four]. */
    record CapArgs(String capField) implements FieldType {
    }

    /**
     * A VM type for the arch in field {@code archField}: on x86 a type name (abi/VmType) or its
     * number; on arm64 a number (the IPA size), kept as its decimal text, or any other name [String].
     */
    record VmTypeOf(String archField) implements FieldType {
    }

    /** A guest step's x86 leaf guest PTE: an object of writable and dirty, both bool [vcpu/GuestPte]. */
    record GuestPteBits() implements FieldType {
    }

    /** HOST's features object, for the arch in field {@code archField} (host/HostFeature) [HostFeatures]. */
    record Features(String archField) implements FieldType {
    }
}
