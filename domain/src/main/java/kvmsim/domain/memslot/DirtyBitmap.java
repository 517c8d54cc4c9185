package kvmsim.domain.memslot;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * memslot->dirty_bitmap: one bit per page of the slot, kept as sorted, disjoint runs
 * {@code [start0, end0, start1, end1, ...)} so that an all-set bitmap of a large slot
 * (KVM_DIRTY_LOG_INITIALLY_SET) stays small in state and snapshots.
 */
public record DirtyBitmap(long npages, List<Long> runs) {

    public DirtyBitmap {
        runs = List.copyOf(runs);
    }

    public static DirtyBitmap empty(long npages) {
        return new DirtyBitmap(npages, List.of());
    }

    /** kvm_alloc_dirty_bitmap(), then bitmap_set() of every page with KVM_DIRTY_LOG_INITIALLY_SET. */
    public static DirtyBitmap allocate(long npages, boolean allSet) {
        return allSet && npages > 0 ? new DirtyBitmap(npages, List.of(0L, npages)) : empty(npages);
    }

    public boolean isSet(long page) {
        for (int i = 0; i < runs.size(); i += 2) {
            if (page >= runs.get(i) && page < runs.get(i + 1)) {
                return true;
            }
        }
        return false;
    }

    /** The set pages, sorted. */
    public List<Long> pages() {
        return pagesIn(0, npages);
    }

    /** The set pages among those in [first, first + count). */
    public List<Long> pagesIn(long first, long count) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < runs.size(); i += 2) {
            long from = Math.max(first, runs.get(i));
            long to = Math.min(first + count, runs.get(i + 1));
            for (long p = from; p < to; p++) {
                out.add(p);
            }
        }
        return out;
    }

    public boolean isEmpty() {
        return runs.isEmpty();
    }

    public DirtyBitmap set(long page) {
        if (isSet(page)) {
            return this;
        }
        java.util.TreeMap<Long, Long> m = toMap();
        long from = page;
        long to = page + 1;
        Long before = m.floorKey(page);
        if (before != null && m.get(before) == page) {
            from = before;
            m.remove(before);
        }
        Long after = m.get(page + 1);
        if (after != null) {
            to = after;
            m.remove(page + 1);
        }
        m.put(from, to);
        return fromMap(m);
    }

    /** The bitmap with every page in {@code pages} cleared (atomic_long_fetch_andnot per word). */
    public DirtyBitmap clear(Collection<Long> pages) {
        java.util.TreeMap<Long, Long> m = toMap();
        for (long p : new TreeSet<>(pages)) {
            Long start = m.floorKey(p);
            if (start == null || m.get(start) <= p) {
                continue;
            }
            long end = m.remove(start);
            if (start < p) {
                m.put(start, p);
            }
            if (p + 1 < end) {
                m.put(p + 1, end);
            }
        }
        return fromMap(m);
    }

    private java.util.TreeMap<Long, Long> toMap() {
        java.util.TreeMap<Long, Long> m = new java.util.TreeMap<>();
        for (int i = 0; i < runs.size(); i += 2) {
            m.put(runs.get(i), runs.get(i + 1));
        }
        return m;
    }

    private DirtyBitmap fromMap(java.util.TreeMap<Long, Long> m) {
        List<Long> r = new ArrayList<>();
        m.forEach((a, b) -> {
            r.add(a);
            r.add(b);
        });
        return new DirtyBitmap(npages, r);
    }
}
