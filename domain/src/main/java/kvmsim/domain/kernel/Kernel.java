package kvmsim.domain.kernel;

import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.entity.Reply;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.host.pkvm.OwnerEncoding;
import kvmsim.domain.kernel.arm64.GuestAbort;
import kvmsim.domain.kernel.arm64.LockedMemslots;
import kvmsim.domain.kernel.arm64.VcpuIoctls;
import kvmsim.domain.kernel.gmem.GuestMemfd;
import kvmsim.domain.kernel.gmem.SetMemoryAttributes;
import kvmsim.domain.kernel.gpc.PfnCache;
import kvmsim.domain.kernel.kvm.DirtyLogIoctls;
import kvmsim.domain.kernel.kvm.KvmReadWriteGuest;
import kvmsim.domain.kernel.kvm.VmIoctls;
import kvmsim.domain.kernel.x86.PageFault;
import kvmsim.domain.kernel.x86.X86Mmu;
import kvmsim.domain.memslot.MemslotState;
import kvmsim.domain.memslot.SlotGeometry;
import kvmsim.domain.policy.DirectMapPolicy;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vm.KvmSetMemoryRegion;
import kvmsim.domain.vm.PendingOp;
import kvmsim.domain.vm.VmCommand;
import kvmsim.domain.vm.VmState;

/**
 * Carries one trace step out against the entities: the order of operations of the kernel code
 * the step models. Pure: everything it knows comes through the gateway.
 */
public final class Kernel {

    private final Gateway gw;
    private final Policies policies;
    private final PfnCache pfnCache;

    public Kernel(Gateway gw, Policies policies) {
        this.gw = gw;
        this.policies = policies;
        this.pfnCache = new PfnCache(gw, DirectMapPolicy.of(policies));
    }

    public Outcome apply(Step step) {
        if (step instanceof Step.Policy) {
            return Outcome.OK; // the engine read it before the first step
        } else if (step instanceof Step.HostDecl h) {
            Integer ownerBits = h.features().pkvm() ? OwnerEncoding.of(policies).bits : null;
            return Outcome.of(gw.send(EntityId.host(h.host()),
                    new HostCommand.Declare(h.arch(), h.features(), ownerBits)).errno());
        } else if (step instanceof Step.Mmap m) {
            return Outcome.of(gw.send(EntityId.host(m.host()),
                    new HostCommand.Mmap(m.hva(), m.length(), m.shared(), m.protMte())).errno());
        } else if (step instanceof Step.Munmap m) {
            return Outcome.of(gw.send(EntityId.host(m.host()), new HostCommand.Munmap(m.hva(), m.length())).errno());
        } else if (step instanceof Step.SetRlimitMemlock r) {
            return Outcome.of(gw.send(EntityId.host(r.host()), new HostCommand.SetRlimitMemlock(r.bytes())).errno());
        } else if (step instanceof Step.CreateVm c) {
            return Outcome.of(VmIoctls.createVm(gw, c.vm(), c.host(), c.arch(), c.type()));
        } else if (step instanceof Step.CreateVcpu c) {
            return Outcome.of(VmIoctls.createVcpu(gw, c.vm(), c.vcpu()));
        } else if (step instanceof Step.SetUserMemoryRegion r) {
            return Outcome.of(VmIoctls.setUserMemoryRegion(gw, policies, r.vm(), new KvmSetMemoryRegion.Request(
                    r.slot(), r.flags(), r.guestPhysAddr(), r.memorySize(), r.userspaceAddr())));
        } else if (step instanceof Step.Check c) {
            return Checks.observe(gw, c);
        } else if (step instanceof Step.PkvmHypercall p) {
            return Outcome.of(gw.send(EntityId.host(p.host()),
                    new HostCommand.PkvmCall(p.hvc(), p.pfn(), p.nrPages())).errno());
        } else if (step instanceof Step.Stage2SetOwner o) {
            return Outcome.of(gw.send(EntityId.host(o.host()),
                    new HostCommand.SetOwner(o.addr(), o.size(), o.ownerId())).errno());
        } else if (step instanceof Step.HostMemAbort a) {
            Errno e = gw.send(EntityId.host(a.host()), new HostCommand.HostMemAbort(a.pfn(), a.access())).errno();
            return Outcome.results(java.util.Map.of("result", e == null ? "mapped" : "denied"));
        } else if (step instanceof Step.PkvmGuestShare g) {
            return Outcome.of(pkvmGuestShare(g));
        }
        // the rest act on an existing VM: an unknown VM is a bad fd
        if (!(step instanceof Step.OnVm onVm)) {
            throw new IllegalArgumentException(step.op() + " is not modelled");
        }
        String vmId = onVm.vm();
        VmState vm = Entity.vm(gw, vmId);
        if (!vm.created()) {
            return step instanceof Step.GuestAccess ? Outcome.guest(Errno.EBADF, null) : Outcome.of(Errno.EBADF);
        }
        if (step instanceof Step.UserspaceWrite w) {
            return Outcome.of(userspaceWrite(vm, w));
        } else if (step instanceof Step.EnableCap c) {
            return Outcome.of(enableCap(vm, c));
        } else if (step instanceof Step.ArmVcpuInit i) {
            return Outcome.of(VcpuIoctls.armVcpuInit(gw, vm, i.vcpu(), i.target(), i.features()));
        } else if (step instanceof Step.Run r) {
            return Outcome.of(VcpuIoctls.run(gw, vm, r.vcpu()));
        } else if (step instanceof Step.GuestAccess a) {
            return vm.arch() == Arch.X86_64 ? PageFault.access(gw, vm, a.vcpu(), a.kind(), a.gpa())
                    : GuestAbort.access(gw, vm, a.vcpu(), a.kind(), a.gpa());
        } else if (step instanceof Step.GetDirtyLog g) {
            return DirtyLogIoctls.getDirtyLog(gw, vm, g.slot());
        } else if (step instanceof Step.ClearDirtyLog c) {
            return Outcome.of(DirtyLogIoctls.clearDirtyLog(gw, vm, c.slot(), c.firstPage(), c.numPages(), c.pages()));
        } else if (step instanceof Step.MmuNotifier n) {
            return Outcome.of(n.invalidate() ? X86Mmu.invalidateRange(gw, vm, n.gpa(), n.length())
                    : X86Mmu.clearYoung(gw, vm, n.gpa(), n.length()));
        } else if (step instanceof Step.SetUserMemoryRegion2 r) {
            return Outcome.of(VmIoctls.setUserMemoryRegion(gw, policies, r.vm(), new KvmSetMemoryRegion.Request(
                    r.slot(), r.flags(), r.guestPhysAddr(), r.memorySize(), r.userspaceAddr(), true, r.guestMemfd(),
                    r.guestMemfdOffset())));
        } else if (step instanceof Step.CreateGuestMemfd c) {
            return Outcome.of(GuestMemfd.create(gw, vm, c.gmem(), c.size(), c.flags()));
        } else if (step instanceof Step.SetMemoryAttributes a) {
            return Outcome.of(SetMemoryAttributes.kvmVmIoctlSetMemAttributes(gw, vm, a.address(), a.size(),
                    a.attributes()));
        } else if (step instanceof Step.KvmGuestCopy k) {
            return Outcome.of(KvmReadWriteGuest.copy(gw, vm, k.gpa(), k.length(), k.write()));
        } else if (step instanceof Step.GpcActivate a) {
            return Outcome.of(pfnCache.activate(vm, a.gpc(), a.gpa(), a.length()));
        } else if (step instanceof Step.GpcStep g) {
            return Outcome.of(gpcStep(vm, g));
        }
        throw new IllegalArgumentException(step.op() + " is not modelled");
    }

    // handle___pkvm_host_{share,unshare}_guest(): the VM must be one of this host's (a bad fd
    // otherwise); a VM the hypervisor has no vCPU loaded for is -EINVAL, which kvmsim takes to be a VM
    // of another host or arch
    private Errno pkvmGuestShare(Step.PkvmGuestShare g) {
        VmState vm = Entity.vm(gw, g.vm());
        if (!vm.created()) {
            return Errno.EBADF;
        }
        if (!vm.host().equals(g.host()) || vm.arch() != Arch.ARM64) {
            return Errno.EINVAL;
        }
        HostCommand c = g.share() ? new HostCommand.ShareGuest(g.pfn(), g.vm(), g.gfn())
                : new HostCommand.UnshareGuest(g.vm(), g.gfn());
        return gw.send(EntityId.host(g.host()), c).errno();
    }

    private Errno gpcStep(VmState vm, Step.GpcStep g) {
        switch (g.kind()) {
            case REFRESH:
                return pfnCache.refresh(vm, g.gpc());
            case DEACTIVATE:
                pfnCache.deactivate(vm, g.gpc());
                return null; // kvm_gpc_deactivate() returns void
            case ACCESS:
                return pfnCache.access(vm, g.gpc());
            default:
                throw new IllegalArgumentException(g.op());
        }
    }

    // kvm_vm_ioctl_enable_cap() (arm64 with the RFC: each cap checks cap->flags itself)
    private Errno enableCap(VmState vm, Step.EnableCap c) {
        switch (c.cap()) {
            case "KVM_CAP_ARM_MTE": {
                Reply r = gw.send(EntityId.vm(vm.id()), new VmCommand.EnableMte(c.flags()));
                if (r.ok() && !vm.hasMte() && !policies.sanitiseTagsOnLock()) {
                    // the review's fix: a slot locked before MTE was enabled still needs its tags sanitised
                    boolean anyLocked = Entity.slots(gw, vm).stream().anyMatch(MemslotState::locked);
                    if (anyLocked) {
                        gw.send(EntityId.vm(vm.id()),
                                new VmCommand.SetPendingOps(java.util.EnumSet.of(PendingOp.SANITISE_TAGS)));
                    }
                }
                return r.errno();
            }
            case "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2":
                return gw.send(EntityId.vm(vm.id()), new VmCommand.EnableManualDirtyLogProtect(c.flags(),
                        c.args().get(0))).errno();
            case "KVM_CAP_ARM_LOCK_USER_MEMORY_REGION":
                if (vm.arch() != Arch.ARM64) {
                    return Errno.EINVAL; // not a capability of this arch
                }
                return LockedMemslots.lockUserMemoryRegion(gw, policies, vm, c.flags(), c.args());
            default:
                throw new IllegalArgumentException(c.cap() + " is not modelled");
        }
    }

    // the VMM's own store into guest memory: gpa -> memslot -> hva, then the host's page tables
    private Errno userspaceWrite(VmState vm, Step.UserspaceWrite w) {
        if (w.length() == 0) {
            return null;
        }
        SlotGeometry g = vm.slotForGfn(Pages.pageOf(w.gpa()));
        long lastGfn = Pages.pageOf(w.gpa() + w.length() - 1);
        if (g == null || Pages.addOverflows(w.gpa(), w.length() - 1) || !g.containsGfn(lastGfn)) {
            return Errno.EFAULT; // kvmsim: the VMM can only address guest memory through one memslot
        }
        long hva = g.gfnToHva(Pages.pageOf(w.gpa())) + (w.gpa() & (Pages.PAGE_SIZE - 1));
        Errno e = gw.send(EntityId.host(vm.host()), new HostCommand.UserspaceWrite(hva, w.length())).errno();
        if (e == null && vm.arch() == Arch.X86_64) {
            X86Mmu.hostPagesReplaced(gw, vm, w.gpa(), w.length());
        }
        return e;
    }
}
