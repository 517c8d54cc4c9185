package kvmsim.domain.kernel.pkvm;

import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.entity.Gateway;
import kvmsim.domain.host.HostCommand;
import kvmsim.domain.kernel.Entity;
import kvmsim.domain.vm.VmState;

/** The host sharing its pages with a protected guest through the pKVM hypervisor. */
public final class GuestShare {

    private GuestShare() {
    }

    // handle___pkvm_host_{share,unshare}_guest(): the VM must be one of this host's (a bad fd
    // otherwise); a VM the hypervisor has no vCPU loaded for is -EINVAL, which kvmsim takes to be a VM
    // of another host or arch
    public static Errno pkvmHostShareGuest(Gateway gw, String host, long pfn, String vmId, long gfn, boolean share) {
        VmState vm = Entity.vm(gw, vmId);
        if (!vm.created()) {
            return Errno.EBADF;
        }
        if (!vm.host().equals(host) || vm.arch() != Arch.ARM64) {
            return Errno.EINVAL;
        }
        HostCommand c = share ? new HostCommand.ShareGuest(pfn, vmId, gfn) : new HostCommand.UnshareGuest(vmId, gfn);
        return gw.send(EntityId.host(host), c).errno();
    }
}
