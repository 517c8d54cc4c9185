package kvmsim.domain.host;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.host.HostEvent.HostStage2PteWritten;
import kvmsim.domain.host.HostEvent.HostStage2RefcountChanged;
import kvmsim.domain.host.HostEvent.HostStage2TableAllocated;
import kvmsim.domain.host.HostEvent.HostStage2TableFreed;
import kvmsim.domain.host.HostEvent.PkvmEvent;

/**
 * The walkers of arch/arm64/kvm/hyp/pgtable.c (5.13) over a working copy of the host stage-2:
 * each store to a PTE and each get_page/put_page of a table page becomes an event, in the order the
 * kernel does them, so {@link HostStage2#evolve} of the events gives the table the walk left.
 */
public final class Stage2Walker {

    private static final class Table {
        final int level;
        final long base;
        final Map<Integer, Long> entries;
        int refcount;

        Table(Stage2Table t) {
            level = t.level();
            base = t.base();
            entries = new HashMap<>(t.entries());
            refcount = t.refcount();
        }

        Table(int level, long base) {
            this.level = level;
            this.base = base;
            this.entries = new HashMap<>();
            this.refcount = 1;
        }

        String key() {
            return Stage2Table.key(level, base);
        }
    }

    /** A PTE's location: kvm_pte_t *ptep. */
    private record Ptep(Table table, int index) {
    }

    /** The callbacks of a struct kvm_pgtable_walker; null is "flag not set". */
    private interface Visitor {
        default Errno tablePre(long addr, long end, int level, Ptep p) {
            return null;
        }

        Errno leaf(long addr, long end, int level, Ptep p);

        default Errno tablePost(long addr, long end, int level, Ptep p) {
            return null;
        }

        default boolean visitsTables() {
            return false;
        }
    }

    private final Map<String, Table> tables = new HashMap<>();
    private final HostStage2 start;
    private final List<PkvmEvent> events = new ArrayList<>();
    private long cursor; // walk_data.addr
    private long end; // walk_data.end

    public Stage2Walker(HostStage2 s) {
        this.start = s;
    }

    public List<PkvmEvent> events() {
        return List.copyOf(events);
    }

    private Table table(String key) {
        return tables.computeIfAbsent(key, k -> {
            Stage2Table t = start.tables().get(k);
            if (t == null) {
                throw new IllegalStateException("no table " + k);
            }
            return new Table(t);
        });
    }

    private Table child(Table t, int idx) {
        return table(Stage2Table.key(t.level + 1, t.base + ((long) idx << KvmPte.granuleShift(t.level))));
    }

    private static long pte(Ptep p) {
        return p.table.entries.getOrDefault(p.index, 0L);
    }

    private static long addrOf(Ptep p) {
        return p.table.base + ((long) p.index << KvmPte.granuleShift(p.table.level));
    }

    private void store(Ptep p, long nu) {
        long old = pte(p);
        if (nu == 0) {
            p.table.entries.remove(p.index);
        } else {
            p.table.entries.put(p.index, nu);
        }
        events.add(new HostStage2PteWritten(p.table.key(), p.index, p.table.level, addrOf(p), old, nu));
    }

    // mm_ops->get_page(ptep): the refcount of the table page that holds the PTE
    private void getPage(Table t) {
        t.refcount++;
        events.add(new HostStage2RefcountChanged(t.key(), t.refcount));
    }

    // mm_ops->put_page(): a table page whose count drops to 0 goes back to the pool
    private void putPage(Table t) {
        t.refcount--;
        if (t.refcount == 0) {
            tables.remove(t.key());
            events.add(new HostStage2TableFreed(t.key()));
        } else {
            events.add(new HostStage2RefcountChanged(t.key(), t.refcount));
        }
    }

    // stage2_put_pte(): break-before-make for a valid PTE, then drop the count
    private void putPte(Ptep p) {
        if (KvmPte.valid(pte(p))) {
            store(p, 0); // kvm_clear_pte() + __kvm_tlb_flush_vmid_ipa()
        }
        putPage(p.table);
    }

    // ---- the walk itself: kvm_pgtable_walk() / __kvm_pgtable_walk() / __kvm_pgtable_visit() ----

    private Errno walk(long addr, long size, Visitor v) {
        long a = Pages.alignDown(addr);
        long e = Pages.alignUp(a + size); // PAGE_ALIGN(walk_data.addr + size)
        // a wrapping end is below addr: the walk visits nothing, as in C
        if (Long.compareUnsigned(a, KvmPte.IA_LIMIT) > 0 || Long.compareUnsigned(e, KvmPte.IA_LIMIT) > 0) {
            return Errno.ERANGE;
        }
        cursor = a;
        end = e;
        return walkTable(table(HostStage2.ROOT), v);
    }

    private Errno walkTable(Table t, Visitor v) {
        for (int idx = Stage2Table.index(cursor, t.level); idx < KvmPte.PTRS_PER_TABLE; idx++) {
            if (Long.compareUnsigned(cursor, end) >= 0) {
                break;
            }
            Errno ret = visit(t, idx, v);
            if (ret != null) {
                return ret;
            }
        }
        return null;
    }

    private Errno visit(Table t, int idx, Visitor v) {
        Ptep p = new Ptep(t, idx);
        long pte = pte(p);
        long addr = cursor;
        int level = t.level;
        boolean isTable = KvmPte.table(pte, level);
        Table childp = isTable ? child(t, idx) : null;
        Errno ret = null;
        if (isTable && v.visitsTables()) {
            ret = v.tablePre(addr, end, level, p);
        }
        if (!isTable) {
            ret = v.leaf(addr, end, level, p);
            pte = pte(p);
            isTable = KvmPte.table(pte, level);
            if (isTable) {
                childp = child(t, idx);
            }
        }
        if (ret != null) {
            return ret;
        }
        if (!isTable) {
            long g = KvmPte.granule(level);
            cursor = (cursor & -g) + g;
            return null;
        }
        ret = walkTable(childp, v);
        if (ret != null) {
            return ret;
        }
        return v.visitsTables() ? v.tablePost(addr, end, level, p) : null;
    }

    // ---- kvm_pgtable_stage2_map() and kvm_pgtable_stage2_set_owner(): stage2_map_walker ----

    /** kvm_block_mapping_supported(); {@code phys} is -1 (KVM_PHYS_INVALID) for an annotation. */
    static boolean blockMappingSupported(long addr, long end, long phys, int level, boolean forcePte) {
        long g = KvmPte.granule(level);
        if (forcePte && level < KvmPte.LAST_LEVEL) {
            return false; // 5.15: data->force_pte, page granularity for non-default state
        }
        if (Long.compareUnsigned(g, end - addr) > 0) {
            return false;
        }
        if (phys != -1 && (phys & (g - 1)) != 0) {
            return false;
        }
        return (addr & (g - 1)) == 0;
    }

    private final class MapWalker implements Visitor {
        final long annotation; // the invalid PTE to install when phys is invalid
        final long attr;
        final boolean validMapping;
        final boolean forcePte;
        Ptep anchor;
        Table anchorChild;

        MapWalker(boolean validMapping, long attr, long annotation, boolean forcePte) {
            this.validMapping = validMapping;
            this.attr = attr;
            this.annotation = annotation;
            this.forcePte = forcePte;
        }

        @Override
        public boolean visitsTables() {
            return true;
        }

        private long phys(long addr) {
            return validMapping ? addr : -1; // the host stage-2 is an identity map
        }

        // stage2_map_walk_table_pre(): a range covering a whole table replaces it with one block
        @Override
        public Errno tablePre(long addr, long end, int level, Ptep p) {
            if (anchor != null || !blockMappingSupported(addr, end, phys(addr), level, forcePte)) {
                return null;
            }
            anchorChild = child(p.table, p.index);
            store(p, 0); // kvm_clear_pte() + __kvm_tlb_flush_vmid()
            anchor = p;
            return null;
        }

        @Override
        public Errno leaf(long addr, long end, int level, Ptep p) {
            long pte = pte(p);
            if (anchor != null) {
                if (KvmPte.counted(pte)) {
                    putPage(p.table); // the table is going away with everything in it
                }
                return null;
            }
            Errno ret = tryLeaf(addr, end, level, p);
            if (ret != Errno.E2BIG) {
                return ret;
            }
            if (level == KvmPte.LAST_LEVEL) {
                return Errno.EINVAL; // WARN_ON
            }
            // If we've run into an existing block mapping then replace it with a table. Accesses
            // beyond 'end' that fall within the new table will be mapped lazily.
            Table childp = new Table(level + 1, addrOf(p));
            tables.put(childp.key(), childp);
            events.add(new HostStage2TableAllocated(childp.level, childp.base));
            if (KvmPte.counted(pte)) {
                putPte(p); // an annotation is not cleared: the table PTE overwrites it
            }
            store(p, KvmPte.tablePte(addrOf(p)));
            getPage(p.table);
            return null;
        }

        // stage2_map_walker_try_leaf()
        private Errno tryLeaf(long addr, long end, int level, Ptep p) {
            if (!blockMappingSupported(addr, end, phys(addr), level, forcePte)) {
                return Errno.E2BIG;
            }
            long old = pte(p);
            long nu = validMapping ? KvmPte.validLeaf(addr, attr, level) : annotation;
            if (KvmPte.counted(old)) {
                if (!KvmPte.needsUpdate(old, nu)) {
                    return Errno.EAGAIN;
                }
                putPte(p);
            }
            store(p, nu);
            if (KvmPte.counted(nu)) {
                getPage(p.table);
            }
            return null;
        }

        // stage2_map_walk_table_post(): the anchor gets its block, the tables under it are freed
        @Override
        public Errno tablePost(long addr, long end, int level, Ptep p) {
            if (anchor == null) {
                return null;
            }
            Table childp;
            Errno ret = null;
            if (anchor.equals(p)) {
                childp = anchorChild;
                anchor = null;
                anchorChild = null;
                ret = leaf(addr, end, level, p);
            } else {
                childp = child(p.table, p.index);
            }
            putPage(childp);
            putPage(p.table);
            return ret;
        }
    }

    /** kvm_pgtable_stage2_map(pgt, addr, size, addr, prot): identity-map [addr, addr+size). */
    public Errno map(long addr, long size, long attr, boolean forcePte) {
        return walk(addr, size, new MapWalker(true, attr, 0, forcePte));
    }

    /**
     * kvm_pgtable_stage2_set_owner() once its owner id is encoded: install the invalid PTE
     * {@code annotation} (0 for the host) over [addr, addr+size).
     */
    public Errno setOwner(long addr, long size, long annotation, boolean forcePte) {
        return walk(addr, size, new MapWalker(false, 0, annotation, forcePte));
    }

    // ---- kvm_pgtable_stage2_unmap(): stage2_unmap_walker, LEAF | TABLE_POST ----

    /** Unmaps [addr, addr+size): valid leaves and owner annotations alike, whole blocks at a time. */
    public Errno unmap(long addr, long size) {
        return walk(addr, size, new Visitor() {
            @Override
            public boolean visitsTables() {
                return true;
            }

            @Override
            public Errno leaf(long a, long e, int level, Ptep p) {
                return unmapEntry(p, level);
            }

            @Override
            public Errno tablePost(long a, long e, int level, Ptep p) {
                return unmapEntry(p, level);
            }
        });
    }

    private Errno unmapEntry(Ptep p, int level) {
        long pte = pte(p);
        if (!KvmPte.valid(pte)) {
            if (KvmPte.counted(pte)) {
                store(p, 0); // an unmap erases ownership
                putPage(p.table);
            }
            return null;
        }
        Table childp = null;
        if (KvmPte.table(pte, level)) {
            childp = child(p.table, p.index);
            if (childp.refcount != 1) {
                return null;
            }
        }
        putPte(p);
        if (childp != null) {
            putPage(childp);
        }
        return null;
    }

    // ---- kvm_pgtable_stage2_find_range() (5.13): the largest compatible block around addr ----

    /**
     * The largest block-aligned range around {@code addr} inside [rangeStart, rangeEnd) whose
     * leaves are all compatible with a mapping of {@code attr}: zero, or valid with the same
     * permissions, memory type and software bits. Null when even the page holds something else
     * (-EEXIST: another owner's annotation, or a mapping with other attributes).
     */
    public long[] findRange(long addr, long attr, long rangeStart, long rangeEnd) {
        long want = attr & COMPAT_MASK;
        for (int level = KvmPte.START_LEVEL; level <= KvmPte.LAST_LEVEL; level++) {
            long g = KvmPte.granule(level);
            long s = addr & -g;
            long e = s + g;
            if (Long.compareUnsigned(s, rangeStart) < 0 || Long.compareUnsigned(rangeEnd, e) < 0) {
                continue;
            }
            Errno ret = walk(s, g, (a, en, l, p) -> {
                long pte = pte(p);
                if (KvmPte.valid(pte)) {
                    return (pte & COMPAT_MASK) != want ? Errno.EEXIST : null;
                }
                return pte != 0 ? Errno.EEXIST : null;
            });
            if (ret != Errno.EEXIST) {
                return ret == null ? new long[] {s, e} : null;
            }
        }
        return null;
    }

    /** KVM_PTE_LEAF_S2_COMPAT_MASK: permissions, memory attributes and the ignored (software) bits. */
    static final long COMPAT_MASK = KvmPte.S2_PERMS | KvmPte.MEMATTR_MASK | KvmPte.SW_IGNORED_MASK;
}
