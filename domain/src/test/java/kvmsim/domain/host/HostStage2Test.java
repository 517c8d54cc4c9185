package kvmsim.domain.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.host.HostEvent.HostStage2PteWritten;
import kvmsim.domain.host.HostEvent.HostStage2RefcountChanged;
import kvmsim.domain.host.HostEvent.HostStage2TableAllocated;
import kvmsim.domain.host.HostEvent.HostStage2TableFreed;
import kvmsim.domain.host.HostEvent.PkvmEvent;
import org.junit.jupiter.api.Test;

/** The host stage-2 walkers of pgtable.c (5.13): blocks, splits, the anchor path, unmap, find_range. */
class HostStage2Test {

    private static final long GIB = 1L << 30;
    private static final long MIB2 = 2L << 20;
    private static final long RAM = HostMemory.RAM_BASE;
    private static final long RWX = KvmPte.attr(Prot.RWX, false);
    private static final long HYP = OwnerEncoding.BITS_8.annotation(1);

    private HostStage2 table = HostStage2.initial();

    private List<PkvmEvent> lastEvents = List.of();

    /** Runs one walk on the table and keeps what it left, through the events. */
    private Errno walk(java.util.function.Function<Stage2Walker, Errno> op) {
        Stage2Walker w = new Stage2Walker(table);
        Errno e = op.apply(w);
        lastEvents = w.events();
        lastEvents.forEach(ev -> table = switch (ev) {
            case HostStage2PteWritten x -> table.pteWritten(x);
            case HostStage2RefcountChanged x -> table.refcountChanged(x);
            case HostStage2TableAllocated x -> table.tableAllocated(x);
            case HostStage2TableFreed x -> table.tableFreed(x);
            default -> throw new AssertionError("a walk emits only stage-2 events, not " + ev);
        });
        return e;
    }

    private List<PkvmEvent> events(java.util.function.Function<Stage2Walker, Errno> op) {
        walk(op);
        return lastEvents;
    }

    private void assertRefcounts() {
        for (Stage2Table t : table.tables().values()) {
            assertEquals(1 + t.entries().size(), t.refcount(), t.key());
        }
    }

    @Test
    void aBlockAlignedRangeIsOneBlockAtTheHighestLevel() {
        assertNull(walk(w -> w.map(RAM, GIB, RWX, false)));
        HostStage2.Leaf l = table.leaf(RAM + 0x1234000);
        assertEquals(1, l.level());
        assertEquals(KvmPte.validLeaf(RAM, RWX, 1), l.pte());
        assertNull(walk(w -> w.map(RAM + GIB + MIB2, MIB2, RWX, false)));
        assertEquals(2, table.leaf(RAM + GIB + MIB2).level());
        assertEquals(2, table.tables().size());
        assertRefcounts();
        assertEquals(3, table.tables().get(HostStage2.ROOT).refcount()); // the 1 GiB block and the L2 table
    }

    @Test
    void remappingTheSameOrOnlyOtherPermissionsIsEagain() {
        walk(w -> w.map(RAM, 4096, RWX, false));
        assertEquals(Errno.EAGAIN, walk(w -> w.map(RAM, 4096, RWX, false)));
        assertEquals(Errno.EAGAIN, walk(w -> w.map(RAM, 4096, KvmPte.attr(Prot.RW, false), false)));
        // the software bits are not permissions: a new page state is a real update
        assertNull(walk(w -> w.map(RAM, 4096, KvmPte.withState(RWX, PageState.SHARED_OWNED), false)));
        assertEquals(PageState.SHARED_OWNED, KvmPte.state(table.leaf(RAM).pte()));
    }

    @Test
    void aPageInsideABlockSplitsItAndTheRestIsDroppedToBeMappedLazily() {
        walk(w -> w.map(RAM, GIB, RWX, false));
        List<PkvmEvent> ev = events(w -> w.setOwner(RAM + 0x5000, 4096, HYP, false));
        assertTrue(ev.contains(new HostStage2PteWritten(HostStage2.ROOT, 1, 1, RAM, KvmPte.validLeaf(RAM, RWX, 1), 0)),
                "the block is cleared (break-before-make) before the table replaces it: " + ev);
        assertEquals(3, table.leaf(RAM + 0x5000).level());
        assertEquals(HYP, table.leaf(RAM + 0x5000).pte());
        assertEquals(0, table.leaf(RAM + 0x6000).pte(), "not in the new table: mapped lazily");
        assertEquals(0, table.leaf(RAM + 0x200000).pte());
        assertRefcounts();
        assertEquals(3, table.tables().size());
    }

    @Test
    void forcePteMakesEveryEntryAPageEvenForABlockAlignedRange() {
        walk(w -> w.setOwner(RAM, MIB2, HYP, true));
        assertEquals(3, table.leaf(RAM).level());
        assertEquals(513, table.tables().get(Stage2Table.key(3, RAM)).refcount());
        walk(w -> w.setOwner(RAM + MIB2, MIB2, HYP, false));
        assertEquals(2, table.leaf(RAM + MIB2).level(), "without force_pte an annotation may be a block");
        assertRefcounts();
    }

    @Test
    void aBlockAnnotationSplitLosesTheOwnershipOfTheRestOfTheBlock() {
        walk(w -> w.setOwner(RAM, MIB2, HYP, false));
        assertEquals(HYP, table.leaf(RAM + 0x1ff000).pte());
        walk(w -> w.setOwner(RAM, 4096, 0, false));
        assertEquals(0, table.leaf(RAM + 0x1ff000).pte(), "the hypervisor's page is the host's again");
        assertRefcounts();
    }

    @Test
    void aRangeCoveringAWholeTableTakesTheAnchorPathAndCoalesces() {
        walk(w -> w.map(RAM, 4096, RWX, false));
        walk(w -> w.map(RAM + MIB2 + 4096, 4096, RWX, false));
        walk(w -> w.setOwner(RAM + 0x3000, 4096, HYP, false));
        assertEquals(4, table.tables().size());
        List<PkvmEvent> ev = events(w -> w.map(RAM, GIB, RWX, false));
        assertEquals(3, ev.stream().filter(e -> e instanceof HostStage2TableFreed).count(), ev.toString());
        assertEquals(1, table.tables().size());
        assertEquals(KvmPte.validLeaf(RAM, RWX, 1), table.leaf(RAM + 0x3000).pte(),
                "the anchor path drops the annotations under it too");
        assertRefcounts();
    }

    @Test
    void unmapErasesAnnotationsRemovesWholeBlocksAndFreesEmptyTables() {
        walk(w -> w.map(RAM + GIB, GIB, RWX, false));
        walk(w -> w.setOwner(RAM, 4096, HYP, false));
        walk(w -> w.map(RAM + 4096, 4096, RWX, false));
        assertNull(walk(w -> w.unmap(RAM, 4096)));
        assertEquals(0, table.leaf(RAM).pte(), "an unmap erases ownership");
        assertEquals(3, table.tables().size(), "the L3 table still holds a page");
        walk(w -> w.unmap(RAM + 4096, 4096));
        assertEquals(1, table.tables().size(), "empty tables are freed at TABLE_POST");
        walk(w -> w.unmap(RAM + GIB + 0x5000, 4096));
        assertEquals(0, table.leaf(RAM + GIB).pte(), "a block is removed whole");
        assertEquals(1, table.tables().get(HostStage2.ROOT).refcount());
    }

    @Test
    void aWalkBeyondTheIpaSpaceIsErange() {
        assertEquals(Errno.ERANGE, walk(w -> w.setOwner(KvmPte.IA_LIMIT, 4096, HYP, false)));
        assertEquals(Errno.ERANGE, walk(w -> w.map(KvmPte.IA_LIMIT - 4096, 8192, RWX, false)));
        assertNull(walk(w -> w.map(KvmPte.IA_LIMIT - 4096, 4096, RWX, false)));
        assertTrue(KvmPte.valid(table.leaf(KvmPte.IA_LIMIT - 4096).pte()));
    }

    @Test
    void findRangeIsTheLargestCompatibleBlockInsideTheMemblock() {
        Stage2Walker w = new Stage2Walker(table);
        assertEquals(List.of(RAM, RAM + GIB), toList(w.findRange(RAM + 0x5000, RWX, RAM, RAM + (4L << 30))));
        // a memblock of 8 MiB: the largest block inside it is 2 MiB
        assertEquals(List.of(RAM + MIB2, RAM + 2 * MIB2),
                toList(w.findRange(RAM + MIB2 + 0x5000, RWX, RAM, RAM + (8L << 20))));
        walk(x -> x.setOwner(RAM + 0x3000, 4096, HYP, false));
        w = new Stage2Walker(table);
        assertEquals(List.of(RAM + 0x4000, RAM + 0x5000), toList(w.findRange(RAM + 0x4000, RWX, RAM, RAM + GIB)),
                "another owner in the 2 MiB and the 1 GiB around it: one page");
        assertNull(w.findRange(RAM + 0x3000, RWX, RAM, RAM + GIB), "-EEXIST: the page itself is not the host's");
        walk(x -> x.map(RAM + 0x4000, 4096, KvmPte.withState(RWX, PageState.SHARED_OWNED), true));
        assertNull(new Stage2Walker(table).findRange(RAM + 0x4000, RWX, RAM, RAM + GIB),
                "a page in another state is not compatible (KVM_PTE_LEAF_ATTR_S2_IGNORED)");
        assertEquals(3, table.leaf(RAM + 0x4000).level(), "a page in another state is its own page (force_pte)");
    }

    private static List<Long> toList(long[] r) {
        return r == null ? null : List.of(r[0], r[1]);
    }
}
