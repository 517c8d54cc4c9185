package kvmsim.domain.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.abi.ManualDirtyLog;
import kvmsim.domain.abi.VmType;
import kvmsim.domain.entity.Broadcast;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.EntityState;
import kvmsim.domain.memslot.SlotGeometry;

/**
 * struct kvm, as far as kvmsim models it: its vCPU ids, its memslot table, enabled caps, the arm64
 * pending MMU ops and the remote TLB flush it is waiting on.
 *
 * @param mteSupported system_supports_mte() on the VM's host
 * @param fwb cpus_have_final_cap(ARM64_HAS_STAGE2_FWB) on the VM's host
 * @param smm x86: the host has a second (SMM) address space
 * @param adBits x86: the MMU has A/D bits (without them KVM ages SPTEs by access-tracking them)
 * @param manualDirtyLogProtect kvm->manual_dirty_log_protect: KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
 *     and KVM_DIRTY_LOG_INITIALLY_SET as last enabled
 * @param tlbFlushes how many remote TLB flushes this VM asked for: the sequence number of the last
 * @param flushInFlight the remote TLB flush whose acknowledgements are outstanding, or null
 * @param memslotGeneration the memslots' generation: every committed change bumps it
 * @param attributes the gfns set private with KVM_SET_MEMORY_ATTRIBUTES
 * @param gpcs the VM's gfn_to_pfn caches (kvm->gpc_list), by the trace's gpc id
 * @param vcpuLimits how many vCPUs and which ids the VM may have
 * @param dirtyRingSize kvm->dirty_ring_size: each vCPU's dirty ring in bytes, 0 without a ring
 * @param dirtyRingAcqRel the ring was enabled with KVM_CAP_DIRTY_LOG_RING_ACQ_REL (only CHECK caps tells)
 */
public record VmState(String id, boolean created, Arch arch, String type, String host, boolean mteSupported,
        boolean fwb, boolean smm, boolean adBits, boolean mte, long manualDirtyLogProtect, List<Long> vcpus,
        Map<Long, SlotGeometry> slots, Set<PendingOp> pendingOps, long tlbFlushes, FlushInFlight flushInFlight,
        long memslotGeneration, MemoryAttributes attributes, Map<String, Gpc> gpcs, VcpuLimits vcpuLimits,
        long dirtyRingSize, boolean dirtyRingAcqRel) implements EntityState {

    @Override
    public EntityId.Kind kind() {
        return EntityId.Kind.VM;
    }

    /**
     * The VM's vCPU limits: kvm->max_vcpus and KVM_MAX_VCPU_IDS of the host's build, and on x86
     * kvm->arch.max_vcpu_ids (0 until KVM_CAP_MAX_VCPU_ID sets it or the first vCPU latches the
     * build's limit).
     */
    public record VcpuLimits(long maxVcpus, long maxVcpuIds, long archMaxVcpuIds) {
        public static final VcpuLimits NONE = new VcpuLimits(0, 0, 0);

        /** The x86 id limit a new vCPU is checked against (kvm_arch_vcpu_precreate()). */
        public long idLimit() {
            return archMaxVcpuIds != 0 ? archMaxVcpuIds : maxVcpuIds;
        }

        VcpuLimits withArchMaxVcpuIds(long ids) {
            return new VcpuLimits(maxVcpus, maxVcpuIds, ids);
        }
    }

    /** A remote TLB flush started at trace line {@code line}, for {@code reason}, not yet acknowledged by all. */
    public record FlushInFlight(long seq, int line, String reason) {
    }

    public VmState {
        vcpus = List.copyOf(new TreeSet<>(vcpus));
        slots = Map.copyOf(slots);
        pendingOps = PendingOp.inBitOrder(pendingOps);
        gpcs = Map.copyOf(gpcs);
    }

    public static VmState initial(String id) {
        return new VmState(id, false, null, null, null, false, false, false, false, false, 0, List.of(), Map.of(),
                Set.of(), 0, null, 0, MemoryAttributes.NONE, Map.of(), VcpuLimits.NONE, 0, false);
    }

    /** The capabilities enabled with KVM_ENABLE_CAP that stay enabled (CHECK caps). */
    public List<String> caps() {
        List<String> caps = new ArrayList<>();
        if (mte) {
            caps.add(Cap.KVM_CAP_ARM_MTE.name());
        }
        if (manualDirtyLogProtect != 0) {
            caps.add(Cap.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2.name());
        }
        if (dirtyRingSize != 0) {
            caps.add((dirtyRingAcqRel ? Cap.KVM_CAP_DIRTY_LOG_RING_ACQ_REL : Cap.KVM_CAP_DIRTY_LOG_RING).name());
        }
        return caps;
    }

    /** kvm_use_dirty_bitmap(): no ring, or a ring with a bitmap (arm64's WITH_BITMAP, which kvmsim does not model). */
    public boolean useDirtyBitmap() {
        return dirtyRingSize == 0;
    }

    VmState withDirtyRing(long size, boolean acqRel) {
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, mte, manualDirtyLogProtect,
                vcpus, slots, pendingOps, tlbFlushes, flushInFlight, memslotGeneration, attributes, gpcs, vcpuLimits,
                size, acqRel);
    }

    /** kvm_has_mte(). */
    public boolean hasMte() {
        return mte;
    }

    /** kvm->manual_dirty_log_protect != 0: KVM_GET_DIRTY_LOG only copies the bitmap. */
    public boolean manualProtect() {
        return manualDirtyLogProtect != 0;
    }

    /** kvm_dirty_log_manual_protect_and_init_set(). */
    public boolean manualProtectAndInitSet() {
        return ManualDirtyLog.KVM_DIRTY_LOG_INITIALLY_SET.in(manualDirtyLogProtect);
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

    @Override
    public Broadcast awaiting() {
        return flushInFlight == null ? null
                : new RemoteTlbFlush(flushInFlight.seq(), flushInFlight.line(), vcpuIds());
    }

    VmState withVcpuLimits(VcpuLimits l) {
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, mte, manualDirtyLogProtect,
                vcpus, slots, pendingOps, tlbFlushes, flushInFlight, memslotGeneration, attributes, gpcs, l, dirtyRingSize, dirtyRingAcqRel);
    }

    VmState withVcpus(List<Long> v) {
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, mte, manualDirtyLogProtect,
                v, slots, pendingOps, tlbFlushes, flushInFlight, memslotGeneration, attributes, gpcs, vcpuLimits, dirtyRingSize, dirtyRingAcqRel);
    }

    VmState withMte(boolean m) {
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, m, manualDirtyLogProtect,
                vcpus, slots, pendingOps, tlbFlushes, flushInFlight, memslotGeneration, attributes, gpcs, vcpuLimits, dirtyRingSize, dirtyRingAcqRel);
    }

    VmState withManualDirtyLogProtect(long options) {
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, mte, options, vcpus,
                slots, pendingOps, tlbFlushes, flushInFlight, memslotGeneration, attributes, gpcs, vcpuLimits, dirtyRingSize, dirtyRingAcqRel);
    }

    VmState withPendingOps(Set<PendingOp> ops) {
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, mte, manualDirtyLogProtect,
                vcpus, slots, ops, tlbFlushes, flushInFlight, memslotGeneration, attributes, gpcs, vcpuLimits, dirtyRingSize, dirtyRingAcqRel);
    }

    /** A committed memslot change: the table and its generation (kvm_swap_active_memslots()). */
    VmState withSlots(Map<Long, SlotGeometry> s) {
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, mte, manualDirtyLogProtect,
                vcpus, s, pendingOps, tlbFlushes, flushInFlight, memslotGeneration + 1, attributes, gpcs, vcpuLimits, dirtyRingSize, dirtyRingAcqRel);
    }

    VmState withAttributes(MemoryAttributes a) {
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, mte, manualDirtyLogProtect,
                vcpus, slots, pendingOps, tlbFlushes, flushInFlight, memslotGeneration, a, gpcs, vcpuLimits, dirtyRingSize, dirtyRingAcqRel);
    }

    VmState withGpc(String gpcId, Gpc g) {
        Map<String, Gpc> m = new java.util.HashMap<>(gpcs);
        m.put(gpcId, g);
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, mte, manualDirtyLogProtect,
                vcpus, slots, pendingOps, tlbFlushes, flushInFlight, memslotGeneration, attributes, m, vcpuLimits, dirtyRingSize, dirtyRingAcqRel);
    }

    /** A gfn_to_pfn cache by id: one never activated is an initialised, inactive cache. */
    public Gpc gpc(String gpcId) {
        return gpcs.getOrDefault(gpcId, Gpc.INITIAL);
    }

    /** kvm_arch_has_private_mem() on x86: kvm->arch.has_private_mem, set for the SW_PROTECTED, SNP and TDX types. */
    public boolean hasPrivateMem() {
        return VmType.hasPrivateMem(type);
    }

    /** kvm_can_access_gmem() (RFC 3/8): KVM may copy to and from guest_memfd of a software-protected VM only. */
    public boolean canAccessGmem() {
        return VmType.canAccessGmem(type);
    }

    /** kvm_mem_is_private(): the gfn has KVM_MEMORY_ATTRIBUTE_PRIVATE. */
    public boolean isPrivate(long gfn) {
        return attributes.isPrivate(gfn);
    }

    VmState withFlush(long flushes, FlushInFlight inFlight) {
        return new VmState(id, created, arch, type, host, mteSupported, fwb, smm, adBits, mte, manualDirtyLogProtect,
                vcpus, slots, pendingOps, flushes, inFlight, memslotGeneration, attributes, gpcs, vcpuLimits, dirtyRingSize, dirtyRingAcqRel);
    }
}
