package kvmsim.domain.vm;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import kvmsim.domain.arm64.PendingOp;
import kvmsim.domain.common.Arch;
import kvmsim.domain.common.EntityId;
import kvmsim.domain.kernel.EntityState;

/**
 * struct kvm, as far as kvmsim models it: its vCPU ids, its memslot table, enabled caps and the
 * arm64 pending MMU ops.
 *
 * @param mteSupported system_supports_mte() on the VM's host
 * @param fwb cpus_have_final_cap(ARM64_HAS_STAGE2_FWB) on the VM's host
 * @param smm x86: the host has a second (SMM) address space
 */
public record VmState(String id, boolean created, Arch arch, String type, String host, boolean mteSupported,
        boolean fwb, boolean smm, boolean mte, List<Long> vcpus, Map<Long, SlotGeometry> slots,
        Set<PendingOp> pendingOps) implements EntityState {

    public VmState {
        vcpus = List.copyOf(new TreeSet<>(vcpus));
        slots = Map.copyOf(slots);
        pendingOps = pendingOps.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(pendingOps));
    }

    public static VmState initial(String id) {
        return new VmState(id, false, null, null, null, false, false, false, false, List.of(), Map.of(), Set.of());
    }

    /** The capabilities enabled with KVM_ENABLE_CAP that stay enabled (CHECK caps). */
    public List<String> caps() {
        return mte ? List.of("KVM_CAP_ARM_MTE") : List.of();
    }

    /** kvm_has_mte(). */
    public boolean hasMte() {
        return mte;
    }

    /** kvm_mmu_has_pending_ops(). */
    public boolean hasPendingOps() {
        return !pendingOps.isEmpty();
    }

    /** gfn_to_memslot() in address space 0, where the guest's accesses go. */
    public SlotGeometry slotForGfn(long gfn) {
        for (SlotGeometry g : slots.values()) {
            if (g.asId() == 0 && g.containsGfn(gfn)) {
                return g;
            }
        }
        return null;
    }

    public List<EntityId> vcpuIds() {
        List<EntityId> ids = new ArrayList<>();
        for (long v : vcpus) {
            ids.add(EntityId.vcpu(id, v));
        }
        return ids;
    }

    /** The memslot entities of this VM, in slot order (kvm_for_each_memslot). */
    public List<EntityId> slotIds() {
        List<EntityId> ids = new ArrayList<>();
        for (long s : new TreeSet<>(slots.keySet())) {
            ids.add(EntityId.slot(id, s));
        }
        return ids;
    }
}
