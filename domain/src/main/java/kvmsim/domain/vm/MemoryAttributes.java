package kvmsim.domain.vm;

import java.util.ArrayList;
import java.util.List;

/**
 * kvm->mem_attr_array: which gfns have KVM_MEMORY_ATTRIBUTE_PRIVATE, kept as sorted, disjoint,
 * non-adjacent ranges so that a VMM converting gigabytes costs one entry.
 */
public record MemoryAttributes(List<Range> privateRanges) {


    public static final MemoryAttributes NONE = new MemoryAttributes(List.of());

    /** Gfns [start, end), unsigned. */
    public record Range(long start, long end) {
    }

    public MemoryAttributes {
        privateRanges = List.copyOf(privateRanges);
    }

    /** kvm_mem_is_private(). */
    public boolean isPrivate(long gfn) {
        for (Range r : privateRanges) {
            if (Long.compareUnsigned(gfn, r.start()) >= 0 && Long.compareUnsigned(gfn, r.end()) < 0) {
                return true;
            }
        }
        return false;
    }

    /** kvm_range_has_memory_attributes(): every gfn of [start, end) already is (or is not) private. */
    public boolean uniformly(long start, long end, boolean priv) {
        return with(start, end, priv).equals(this);
    }

    /** The attributes after [start, end) was set private or shared. */
    public MemoryAttributes with(long start, long end, boolean priv) {
        List<Range> out = new ArrayList<>();
        long newStart = start;
        long newEnd = end;
        for (Range r : privateRanges) {
            boolean touches = Long.compareUnsigned(r.start(), end) <= 0 && Long.compareUnsigned(start, r.end()) <= 0;
            if (!touches) {
                out.add(r);
            } else if (priv) {
                newStart = Long.compareUnsigned(r.start(), newStart) < 0 ? r.start() : newStart;
                newEnd = Long.compareUnsigned(r.end(), newEnd) > 0 ? r.end() : newEnd;
            } else {
                if (Long.compareUnsigned(r.start(), start) < 0) {
                    out.add(new Range(r.start(), start));
                }
                if (Long.compareUnsigned(end, r.end()) < 0) {
                    out.add(new Range(end, r.end()));
                }
            }
        }
        if (priv) {
            out.add(new Range(newStart, newEnd));
        }
        out.sort((a, b) -> Long.compareUnsigned(a.start(), b.start()));
        return new MemoryAttributes(out);
    }
}
