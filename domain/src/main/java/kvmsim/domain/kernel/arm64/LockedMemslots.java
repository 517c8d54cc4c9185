package kvmsim.domain.kernel.arm64;

import static kvmsim.domain.abi.Arm64Abi.*;
import static kvmsim.domain.abi.ArmLockArg.KVM_ARM_LOCK_MEM_READ;
import static kvmsim.domain.abi.ArmLockArg.KVM_ARM_LOCK_MEM_WRITE;
import static kvmsim.domain.abi.ArmLockArg.KVM_ARM_UNLOCK_MEM_ALL;
import static kvmsim.domain.abi.ArmLockFlag.KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_LOCK;
import static kvmsim.domain.abi.ArmLockFlag.KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_UNLOCK;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.KvmLimits;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.HostState;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.memslot.LockMode;
import kvmsim.domain.memslot.MemslotCommand;
import kvmsim.domain.memslot.MemslotDecider;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.vcpu.VcpuState;
import kvmsim.domain.vm.PendingOp;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmState;

/**
 * KVM_ENABLE_CAP(KVM_CAP_ARM_LOCK_USER_MEMORY_REGION): Alexandru Elisei's locked memslots, RFC v5
 * (kvm-semantics.md §2).
 */
public final class LockedMemslots {

    private LockedMemslots() {
    }

    // kvm_lock_user_memory_region_ioctl()
    public static Errno lockUserMemoryRegion(Gateway gw, Policies policies, VmState vm, long flags, List<Long> args) {
        if (args.get(2) != 0 || args.get(3) != 0) {
            return Errno.EINVAL;
        }
        if (flags == KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_LOCK.value()) {
            return lockMemslot(gw, policies, vm, args.get(0), args.get(1));
        } else if (flags == KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_UNLOCK.value()) {
            return unlockMemslot(gw, vm, args.get(0), args.get(1));
        }
        return Errno.EINVAL;
    }

    // kvm_mmu_lock_memslot()
    static Errno lockMemslot(Gateway gw, Policies policies, VmState vm, long slot, long lockFlags) {
        if (Long.compareUnsigned(slot, KvmLimits.userMemSlots(vm.arch())) >= 0
                || !KVM_ARM_LOCK_MEM_READ.in(lockFlags)
                || (lockFlags & ~(KVM_ARM_LOCK_MEM_READ.value() | KVM_ARM_LOCK_MEM_WRITE.value())) != 0) {
            return Errno.EINVAL;
        }
        LockMode mode = KVM_ARM_LOCK_MEM_WRITE.in(lockFlags) ? LockMode.WRITE : LockMode.READ;
        // kvm_lock_all_vcpus(): a trylock of every vcpu->mutex; a vCPU inside KVM_RUN holds its own
        for (VcpuState v : Entity.vcpus(gw, vm)) {
            if (v.inGuest()) {
                return Errno.EBUSY;
            }
        }
        SlotGeometry geometry = vm.slots().get(slot);
        if (geometry == null) {
            return Errno.EINVAL;
        }
        EntityId slotId = EntityId.slot(vm.id(), slot);
        // the slot's checks, before anything is pinned; its Lock command makes them again
        Errno refused = MemslotDecider.lockCheck(Entity.slot(gw, vm.id(), slot), mode);
        if (refused != null) {
            return refused;
        }
        return lockPages(gw, policies, vm, slotId, geometry, mode);
    }

    // lock_memslot(): all or nothing
    private static Errno lockPages(Gateway gw, Policies policies, VmState vm, EntityId slotId, SlotGeometry g,
            LockMode mode) {
        EntityId host = EntityId.host(vm.host());
        HostState hs = Entity.host(gw, vm.host());
        long npages = g.npages();
        // try_rlimit_memlock(): the advisory check before pinning
        if (Long.compareUnsigned(npages + hs.lockedVm(), hs.rlimitMemlockPages()) > 0) {
            return Errno.ENOMEM;
        }
        boolean write = mode == LockMode.WRITE;
        long pinnable = 0;
        while (pinnable < npages && hs.vmaAt(g.hva() + pinnable * Pages.PAGE_SIZE) != null) {
            pinnable++;
        }
        if (pinnable < npages) {
            // pin_user_pages() fails on the first unmapped page: the mapped prefix is undone
            if (pinnable > 0) {
                gw.send(host, new HostCommand.PinPages(g.hva(), pinnable, write));
                gw.send(slotId, new MemslotCommand.Stage2Map(g.baseGfn(), pinnable, write, false));
                undo(gw, host, slotId, g, pinnable, false);
            }
            return Errno.ENOMEM;
        }
        gw.send(host, new HostCommand.PinPages(g.hva(), npages, write));
        // kvm_pgtable_stage2_map() at PAGE_SIZE with no CMO: they are deferred to the first KVM_RUN
        gw.send(slotId, new MemslotCommand.Stage2Map(g.baseGfn(), npages, write, false));
        Reply account = gw.send(host, new HostCommand.AccountLockedVm(npages));
        if (!account.ok()) {
            undo(gw, host, slotId, g, npages, false);
            return account.errno();
        }
        gw.send(slotId, new MemslotCommand.Lock(mode));
        Set<PendingOp> ops = EnumSet.of(PendingOp.FLUSH_DCACHE);
        if (policies.sanitiseTagsOnLock() || vm.hasMte()) {
            ops.add(PendingOp.SANITISE_TAGS);
        }
        gw.send(EntityId.vm(vm.id()), new VmCommand.SetPendingOps(ops));
        return null;
    }

    private static void undo(Gateway gw, EntityId host, EntityId slotId, SlotGeometry g, long npages, boolean dirty) {
        gw.send(slotId, new MemslotCommand.Stage2Unmap(g.baseGfn(), npages));
        gw.send(host, new HostCommand.UnpinPages(g.hva(), npages, dirty));
    }

    // kvm_mmu_unlock_memslot()
    static Errno unlockMemslot(Gateway gw, VmState vm, long slot, long unlockFlags) {
        if ((unlockFlags & ~KVM_ARM_UNLOCK_MEM_ALL.value()) != 0) {
            return Errno.EINVAL;
        }
        boolean all = KVM_ARM_UNLOCK_MEM_ALL.in(unlockFlags);
        if (!all && Long.compareUnsigned(slot, KvmLimits.userMemSlots(vm.arch())) >= 0) {
            return Errno.EINVAL;
        }
        List<MemslotState> slots = Entity.slots(gw, vm);
        if (all) {
            for (MemslotState s : slots) {
                if (s.locked()) {
                    unlockOne(gw, vm, s);
                }
            }
        } else {
            MemslotState s = slots.stream().filter(x -> x.slot() == slot).findFirst().orElse(null);
            if (s == null || !s.locked()) {
                return Errno.EINVAL; // v5: missing or not locked
            }
            unlockOne(gw, vm, s);
        }
        VmState after = Entity.vm(gw, vm.id());
        if (after.hasPendingOps() && Entity.slots(gw, after).stream().noneMatch(MemslotState::locked)) {
            gw.send(EntityId.vm(vm.id()), new VmCommand.ClearPendingOps(EnumSet.allOf(PendingOp.class)));
        }
        return null;
    }

    // unlock_memslot()
    private static void unlockOne(Gateway gw, VmState vm, MemslotState s) {
        EntityId slotId = EntityId.slot(vm.id(), s.slot());
        if (Entity.vm(gw, vm.id()).hasPendingOps()) {
            // v5 07/38: no vCPU ran since the lock, so let the abort handler do the CMOs later
            gw.send(slotId, new MemslotCommand.Stage2Unmap(s.geometry().baseGfn(), s.npages()));
        }
        gw.send(EntityId.host(vm.host()),
                new HostCommand.UnpinPages(s.hva(), s.npages(), s.lock() == LockMode.WRITE));
        gw.send(EntityId.host(vm.host()), new HostCommand.AccountLockedVm(-s.npages()));
        gw.send(slotId, new MemslotCommand.Unlock());
    }
}
