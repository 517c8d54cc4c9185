package kvmsim.domain.host;

import java.util.Map;
import kvmsim.domain.entity.StateMaps;
import kvmsim.domain.host.HostEvent.HostStage2PteWritten;
import kvmsim.domain.host.HostEvent.HostStage2RefcountChanged;
import kvmsim.domain.host.HostEvent.HostStage2TableAllocated;
import kvmsim.domain.host.HostEvent.HostStage2TableFreed;

/**
 * The host's stage-2 page table under pKVM (host_mmu.pgt): an identity map that the hypervisor
 * owns, 4K granule, levels 1 to 3. A zero entry is "owned by the host, not mapped yet": the root
 * starts zeroed, so the host owns everything at boot.
 *
 * @param tables the table pages by {@link Stage2Table#key}, persistent (see StateMaps)
 */
public record HostStage2(Map<String, Stage2Table> tables) {

    public static final String ROOT = Stage2Table.key(KvmPte.START_LEVEL, 0);

    public HostStage2 {
        tables = StateMaps.sorted(tables);
    }

    public static HostStage2 initial() {
        return new HostStage2(Map.of(ROOT, new Stage2Table(KvmPte.START_LEVEL, 0, Map.of(), 1)));
    }

    /** The leaf that translates {@code addr}: a zero entry, an annotation, or a valid block or page. */
    public record Leaf(String table, int index, int level, long pte) {

        /** The IPA range the leaf covers. */
        public long start(long addr) {
            return addr & -KvmPte.granule(level);
        }
    }

    /** kvm_pgtable_get_leaf(). {@code addr} must be below {@link KvmPte#IA_LIMIT}. */
    public Leaf leaf(long addr) {
        Stage2Table t = tables.get(ROOT);
        while (true) {
            int idx = Stage2Table.index(addr, t.level());
            long pte = t.pte(idx);
            if (!KvmPte.table(pte, t.level())) {
                return new Leaf(t.key(), idx, t.level(), pte);
            }
            t = tables.get(Stage2Table.key(t.level() + 1, t.entryAddr(idx)));
        }
    }

    HostStage2 pteWritten(HostStage2PteWritten w) {
        Stage2Table t = tables.get(w.table());
        Map<Integer, Long> entries = w.newPte() == 0 ? StateMaps.without(t.entries(), w.index())
                : StateMaps.with(t.entries(), w.index(), w.newPte());
        return new HostStage2(StateMaps.with(tables, w.table(),
                new Stage2Table(t.level(), t.base(), entries, t.refcount())));
    }

    HostStage2 refcountChanged(HostStage2RefcountChanged r) {
        Stage2Table t = tables.get(r.table());
        return new HostStage2(StateMaps.with(tables, r.table(),
                new Stage2Table(t.level(), t.base(), t.entries(), r.refcount())));
    }

    HostStage2 tableAllocated(HostStage2TableAllocated a) {
        return new HostStage2(StateMaps.with(tables, Stage2Table.key(a.level(), a.base()),
                new Stage2Table(a.level(), a.base(), Map.of(), 1)));
    }

    HostStage2 tableFreed(HostStage2TableFreed f) {
        return new HostStage2(StateMaps.without(tables, f.table()));
    }
}
