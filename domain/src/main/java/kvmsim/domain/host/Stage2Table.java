package kvmsim.domain.host;

import java.util.Map;
import kvmsim.domain.entity.StateMaps;

/**
 * One table page of the host stage-2: its level, the IPA it starts translating, its non-zero
 * entries by index, and its page refcount (1 for the page itself, plus one per counted entry, as
 * stage2_pte_is_counted() wants).
 */
public record Stage2Table(int level, long base, Map<Integer, Long> entries, int refcount) {

    public Stage2Table {
        entries = StateMaps.sorted(entries);
    }

    public long pte(int index) {
        return entries.getOrDefault(index, 0L);
    }

    /** The name kvmsim gives a table page: its level and the IPA it translates. */
    public static String key(int level, long base) {
        return "L" + level + "@" + KvmPte.hex(base);
    }

    public String key() {
        return key(level, base);
    }

    /** The IPA that entry {@code index} translates. */
    public long entryAddr(int index) {
        return base + ((long) index << KvmPte.granuleShift(level));
    }

    public static int index(long addr, int level) {
        return (int) ((addr >>> KvmPte.granuleShift(level)) & (KvmPte.PTRS_PER_TABLE - 1));
    }
}
