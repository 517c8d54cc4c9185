package kvmsim.domain.memslot;

import kvmsim.domain.arm64.LockMode;
import kvmsim.domain.kernel.Event;
import kvmsim.domain.vm.SlotGeometry;

public sealed interface MemslotEvent extends Event {

    record MemslotCreated(SlotGeometry geometry) implements MemslotEvent {
    }

    record MemslotDeleted() implements MemslotEvent {
    }

    record MemslotMoved(SlotGeometry geometry) implements MemslotEvent {
    }

    record MemslotFlagsChanged(SlotGeometry geometry) implements MemslotEvent {
    }

    record Stage2Mapped(long firstGfn, long count, boolean writable, boolean executable) implements MemslotEvent {
    }

    record Stage2Unmapped(long firstGfn, long count) implements MemslotEvent {
    }

    /** kvm_mmu_wp_memory_region(): dirty logging starts, every leaf loses W. */
    record Stage2WriteProtected() implements MemslotEvent {
    }

    record MemslotLocked(LockMode mode) implements MemslotEvent {
    }

    record MemslotUnlocked(LockMode mode) implements MemslotEvent {
    }
}
