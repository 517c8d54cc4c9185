package kvmsim.domain.memslot;

import java.util.Map;
import java.util.TreeMap;
import kvmsim.domain.arm64.LockMode;
import kvmsim.domain.common.Pages;
import kvmsim.domain.kernel.EntityState;
import kvmsim.domain.vm.SlotGeometry;

/**
 * struct kvm_memory_slot and what hangs off it: the arm64 lock (memslot->arch.flags, whose pinned
 * pages are exactly the slot's pages) and the stage-2 leaves mapping the slot's gfns.
 */
public record MemslotState(String vm, long slot, boolean present, SlotGeometry geometry, LockMode lock,
        Map<Long, Stage2Pte> stage2) implements EntityState {

    public MemslotState {
        stage2 = Map.copyOf(stage2);
    }

    public static MemslotState initial(String vm, long slot) {
        return new MemslotState(vm, slot, false, null, null, Map.of());
    }

    public boolean locked() {
        return lock != null;
    }

    public long npages() {
        return geometry == null ? 0 : geometry.npages();
    }

    public long hva() {
        return geometry.hva();
    }

    public Stage2Pte pte(long gfn) {
        return stage2.get(gfn);
    }

    MemslotState with(boolean present, SlotGeometry geometry, LockMode lock, Map<Long, Stage2Pte> stage2) {
        return new MemslotState(vm, slot, present, geometry, lock, stage2);
    }

    TreeMap<Long, Stage2Pte> stage2Copy() {
        return new TreeMap<>(stage2);
    }

    public long hvaOfGfn(long gfn) {
        return geometry.gfnToHva(gfn) >>> Pages.PAGE_SHIFT;
    }
}
