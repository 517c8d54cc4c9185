package kvmsim.domain.kernel.gmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.EntityId;
import kvmsim.domain.host.Folio;
import kvmsim.domain.host.HostEvent;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.host.HostState;
import kvmsim.domain.kernel.mmu.X86Run;
import kvmsim.domain.memslot.MemslotEvent;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vcpu.GuestExit;
import kvmsim.domain.vm.VmEvent;
import org.junit.jupiter.api.Test;

/** guest_memfd creation and binding, memory attributes, private faults and KVM's own copies: every errno path. */
class GuestMemfdTest {

    static final long GUEST_MEMFD = 4; // KVM_MEM_GUEST_MEMFD
    static final long LOG = 1;
    static final long READONLY = 2;
    static final long NO_DIRECT_MAP = 4; // KVM_GMEM_NO_DIRECT_MAP as kvmsim numbers it
    static final long PRIVATE = kvmsim.domain.abi.MemoryAttribute.KVM_MEMORY_ATTRIBUTE_PRIVATE.value();

    private static Errno errno(X86Run.Replayed r, int line) {
        return r.at(line).errno();
    }

    /** Runs one step after {@code t} and returns its errno. */
    private static Errno last(X86Run t, java.util.function.Consumer<X86Run> step) {
        int line = t.nextLine();
        step.accept(t);
        return errno(t.replayWith(Map.of()), line);
    }

    /** What happened to folios: the host's folio events but the inode's creation. */
    static List<Object> folioEvents(X86Run.Replayed r) {
        return X86Run.eventsOf(r, "host/host0").stream()
                .filter(e -> e instanceof HostEvent.FolioEvent && !(e instanceof HostEvent.GmemCreated)).toList();
    }

    private static X86Run bound() {
        return X86Run.swProtected().createGmem("g0", 0x10000, NO_DIRECT_MAP).region2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0);
    }

    @Test
    void createChecksFlagsThenSize() {
        assertEquals(Errno.EINVAL, last(X86Run.swProtected(), t -> t.createGmem("g", 0, 0)));
        assertEquals(Errno.EINVAL, last(X86Run.swProtected(), t -> t.createGmem("g", 0x1001, 0)));
        assertEquals(Errno.EINVAL, last(X86Run.swProtected(), t -> t.createGmem("g", 1L << 63, 0)), "loff_t < 0");
        assertNull(last(X86Run.swProtected(), t -> t.createGmem("g", (1L << 63) - 4096, 0)));
        assertEquals(Errno.EINVAL, last(X86Run.swProtected(), t -> t.createGmem("g", 0x1000, 8)));
        assertNull(last(X86Run.swProtected(), t -> t.createGmem("g", 0x1000, NO_DIRECT_MAP | 3)));
        // a host that does not offer the RFC's flag refuses it, whatever the size
        HostFeatures d = HostFeatures.defaults(Arch.X86_64);
        HostFeatures mainline = d.with(HostFeature.GMEM_FLAGS,
                List.of("GUEST_MEMFD_FLAG_MMAP", "GUEST_MEMFD_FLAG_INIT_SHARED"));
        assertEquals(Errno.EINVAL, last(new X86Run(true, "KVM_X86_SW_PROTECTED_VM", mainline),
                t -> t.createGmem("g", 0, NO_DIRECT_MAP)));
        assertEquals(Errno.EEXIST, last(X86Run.swProtected().createGmem("g", 0x1000, 0),
                t -> t.createGmem("g", 0x1000, 0)), "a gmem id names one guest_memfd");
        assertEquals(Errno.EBADF, last(X86Run.swProtected(),
                t -> t.step(m -> new Step.CreateGuestMemfd(m, "nosuchvm", "g", 0x1000, 0))));
    }

    @Test
    void bindChecksGenericRulesFirstThenTheFile() {
        X86Run t = X86Run.swProtected().createGmem("g0", 0x10000, 0);
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(1, GUEST_MEMFD | LOG, 0, 0x4000, "g0", 0)));
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(1, GUEST_MEMFD | READONLY, 0, 0x4000, "g0", 0)));
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(1, GUEST_MEMFD, 0, 0x4000, "nosuch", 0x800)),
                "an unaligned offset is refused before the fd is looked at");
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(1, GUEST_MEMFD, 0, 0x4000, "g0", -0x1000L)), "wraps");
        assertEquals(Errno.EBADF, last(t, x -> x.region2(1, GUEST_MEMFD, 0, 0x4000, "nosuch", 0xe000)),
                "fget() before the size check");
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(1, GUEST_MEMFD, 0, 0x4000, "g0", 0xe000)), "past i_size");
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(1, GUEST_MEMFD, 0, 0x1000, "g0", 1L << 63)), "offset < 0");
        assertNull(last(t, x -> x.region2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0)));
        assertEquals(Errno.EEXIST, last(t, x -> x.region2(1, GUEST_MEMFD, 0x2000, 0x4000, "nosuch", 0)),
                "a gpa overlap beats a bad fd");
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(1, GUEST_MEMFD, 0x10000, 0x4000, "g0", 0x2000)),
                "the file range is bound to slot 0");
        assertNull(last(t, x -> x.region2(1, GUEST_MEMFD, 0x10000, 0x4000, "g0", 0x4000)), "adjacent");
        // a guest_memfd slot is immutable, even re-set identically or without the flag
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0)));
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(0, 0, 0, 0x4000, null, 0)));
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(0, LOG, 0, 0x4000, null, 0)));
        assertEquals(Errno.EINVAL, last(t, x -> x.slot(5, GUEST_MEMFD, 0x100000, 0x1000)), "not in the v1 struct");
        assertNull(last(t, x -> x.region2(0, 0, 0, 0, null, 0)), "a delete");
        assertNull(last(t, x -> x.region2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0)), "and a bind again");
    }

    @Test
    void anotherVmsFileIsEinval() {
        X86Run t = X86Run.swProtected()
                .step(m -> new Step.CreateVm(m, "vm1", "host0", Arch.X86_64, "KVM_X86_SW_PROTECTED_VM"))
                .step(m -> new Step.CreateGuestMemfd(m, "vm1", "g1", 0x10000, 0));
        assertEquals(Errno.EINVAL, last(t, x -> x.region2(0, GUEST_MEMFD, 0, 0x4000, "g1", 0)));
    }

    @Test
    void memoryAttributesErrnos() {
        assertEquals(Errno.EINVAL, last(new X86Run(true), t -> t.attributes(0, 0x1000, PRIVATE)),
                "a default VM has no private memory");
        assertNull(last(new X86Run(true), t -> t.attributes(0, 0x1000, 0)));
        X86Run sw = X86Run.swProtected();
        assertEquals(Errno.EINVAL, last(sw, t -> t.attributes(0, 0x1000, 1)));
        assertEquals(Errno.EINVAL, last(sw, t -> t.attributes(0, 0, PRIVATE)));
        assertEquals(Errno.EINVAL, last(sw, t -> t.attributes(-0x1000L, 0x2000, PRIVATE)));
        assertEquals(Errno.EINVAL, last(sw, t -> t.attributes(0x800, 0x1000, PRIVATE)));
        assertEquals(Errno.EINVAL, last(sw, t -> t.attributes(0, 0x1800, PRIVATE)));
        HostFeatures d = HostFeatures.defaults(Arch.X86_64);
        HostFeatures noAttrs = d.with(HostFeature.MEMORY_ATTRIBUTES, false);
        assertEquals(Errno.ENOTTY, last(new X86Run(true, "KVM_X86_SW_PROTECTED_VM", noAttrs),
                t -> t.attributes(0x800, 0, 1)), "no ioctl, no argument checks");
    }

    @Test
    void convertingMappedMemoryZapsItsSptesAndFlushes() {
        X86Run t = bound().vcpus(1).run(0).write(0, 0x1000).attributes(0, 0x4000, PRIVATE);
        X86Run.Replayed r = t.replayWith(Map.of());
        assertTrue(X86Run.eventsOf(r, "slot/vm0/0").stream().anyMatch(e -> e instanceof MemslotEvent.SptesZapped z
                && z.gfns().equals(List.of(1L))));
        assertTrue(X86Run.eventsOf(r, "vm/vm0").stream().anyMatch(e -> e instanceof VmEvent.RemoteTlbFlushCompleted));
        int again = t.nextLine();
        t.attributes(0, 0x4000, PRIVATE);
        X86Run.Replayed twice = t.replayWith(Map.of());
        assertNull(errno(twice, again));
        assertEquals(1, X86Run.eventsOf(twice, "vm/vm0").stream()
                .filter(e -> e instanceof VmEvent.MemoryAttributesSet).count(), "setting what is already set is a no-op");
    }

    @Test
    void aPrivateFaultAllocatesAFolioThatLeavesTheDirectMap() {
        X86Run t = bound().attributes(0, 0x4000, PRIVATE).vcpus(1).run(0);
        int line = t.nextLine();
        t.write(0, 0x2000);
        X86Run.Replayed r = t.replayWith(Map.of());
        assertEquals(GuestExit.NONE, r.at(line).exit());
        HostState host = (HostState) t.engine().state(EntityId.host("host0"));
        Folio f = host.gmemFolio("g0", 2);
        assertFalse(f.directMap());
        assertTrue(f.pgPrivate());
        assertFalse(f.locked(), "filemap_grab_folio()'s lock is dropped before the fault returns");
        assertEquals(List.of(HostEvent.GmemFolioAllocated.class, HostEvent.DirectMapZapped.class,
                HostEvent.FolioPrivateChanged.class, HostEvent.FolioUnlocked.class),
                folioEvents(r).stream().map(Object::getClass).toList());
    }

    @Test
    void aPrivateFaultWithoutGuestMemfdIsAMemoryFaultExit() {
        X86Run t = X86Run.swProtected().slot(0, 0, 0, 0x4000).attributes(0, 0x4000, PRIVATE).vcpus(1).run(0);
        int line = t.nextLine();
        t.read(0, 0x1000);
        X86Run.Replayed r = t.replayWith(Map.of());
        assertEquals(Errno.EFAULT, errno(r, line));
        assertEquals(GuestExit.KVM_EXIT_MEMORY_FAULT, r.at(line).exit());
    }

    @Test
    void kvmCopiesAPrivatePageUnderTheFolioLockAndPutsItBack() {
        X86Run t = bound().attributes(0, 0x4000, PRIVATE);
        int line = t.nextLine();
        t.kvmCopy(0x1ff8, 16, false); // two pages: each restored, copied, zapped
        X86Run.Replayed r = t.replayWith(Map.of());
        assertNull(errno(r, line));
        List<Object> seq = folioEvents(r);
        List<Class<?>> perPage = List.of(HostEvent.GmemFolioAllocated.class, HostEvent.DirectMapZapped.class,
                HostEvent.FolioPrivateChanged.class, HostEvent.FolioUnlocked.class, HostEvent.FolioLocked.class,
                HostEvent.DirectMapRestored.class, HostEvent.KernelAccessedFolio.class,
                HostEvent.DirectMapZapped.class, HostEvent.FolioUnlocked.class);
        List<Class<?>> expected = new java.util.ArrayList<>(perPage);
        expected.addAll(perPage);
        assertEquals(expected, seq.stream().map(Object::getClass).toList());
        assertTrue(r.violations().isEmpty(), r.violations().toString());
    }

    @Test
    void kvmCopyErrnos() {
        X86Run t = bound().attributes(0, 0x1000, PRIVATE).slot(1, READONLY, 0x100000, 0x1000);
        assertEquals(Errno.EFAULT, last(t, x -> x.kvmCopy(0x400000, 8, false)), "no memslot");
        assertEquals(Errno.EFAULT, last(t, x -> x.kvmCopy(0x100000, 8, true)), "a read-only slot");
        assertNull(last(t, x -> x.kvmCopy(0x100000, 8, false)));
        assertEquals(Errno.EFAULT, last(t, x -> x.kvmCopy(0x3ff8, 16, false)), "the second page has no slot");
        // an SNP guest's private memory is not KVM's to copy (kvm_can_access_gmem())
        HostFeatures d = HostFeatures.defaults(Arch.X86_64);
        HostFeatures snpHost = d.with(HostFeature.VM_TYPES, List.of("KVM_X86_DEFAULT_VM", "KVM_X86_SNP_VM"));
        X86Run snp = new X86Run(true, "KVM_X86_SNP_VM", snpHost).createGmem("g0", 0x10000, 0)
                .region2(0, GUEST_MEMFD, 0, 0x4000, "g0", 0).attributes(0, 0x4000, PRIVATE);
        assertEquals(Errno.EFAULT, last(snp, x -> x.kvmCopy(0x1000, 8, true)));
        assertEquals(Errno.EFAULT, last(snp, x -> x.gpcActivate("c", 0x1000, 8)));
    }

    @Test
    void kvmWriteGuestIsLoggedInADirtyLoggingSlot() {
        X86Run t = new X86Run(true).slot(0, LOG, 0, 0x10000).kvmCopy(0x3000, 8, true).getDirtyLog(0);
        X86Run.Replayed r = t.replayWith(Map.of());
        assertTrue(X86Run.eventsOf(r, "slot/vm0/0").contains(new MemslotEvent.PageMarkedDirty(3)));
        assertTrue(X86Run.eventsOf(r, "slot/vm0/0").stream().anyMatch(e -> e instanceof MemslotEvent.DirtyLogReported d
                && d.pages().equals(List.of(3L))), "mark_page_dirty_in_slot(): GET reports KVM's write");
    }
}
