package kvmsim.domain.memslot;

import kvmsim.domain.arm64.LockMode;
import kvmsim.domain.kernel.EntityCommand;
import kvmsim.domain.vm.MemslotChange;
import kvmsim.domain.vm.SlotGeometry;

public sealed interface MemslotCommand extends EntityCommand {

    record Query() implements MemslotCommand {
    }

    /** kvm_arch_prepare_memory_region() on arm64. */
    record PrepareChange(MemslotChange change, SlotGeometry geometry) implements MemslotCommand {
    }

    /** kvm_set_memslot() + kvm_arch_commit_memory_region(). */
    record CommitChange(MemslotChange change, SlotGeometry geometry) implements MemslotCommand {
    }

    /** The per-slot checks of kvm_mmu_lock_memslot(). */
    record CheckLock(LockMode mode) implements MemslotCommand {
    }

    /** kvm_pgtable_stage2_map() of [firstGfn, firstGfn+count) at PAGE_SIZE, R plus W and X as given. */
    record Stage2Map(long firstGfn, long count, boolean writable, boolean executable) implements MemslotCommand {
    }

    /** stage2_unmap_memslot() / kvm_arch_flush_shadow_memslot() of the whole slot, or of a prefix. */
    record Stage2Unmap(long firstGfn, long count) implements MemslotCommand {
    }

    record Lock(LockMode mode) implements MemslotCommand {
    }

    record Unlock() implements MemslotCommand {
    }
}
