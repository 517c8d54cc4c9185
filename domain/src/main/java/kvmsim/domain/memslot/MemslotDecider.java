package kvmsim.domain.memslot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvmsim.domain.abi.Arm64Abi;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.Event;
import kvmsim.domain.memslot.MemslotCommand.*;
import kvmsim.domain.memslot.MemslotEvent.*;

/** decide/evolve for one memslot. */
public final class MemslotDecider {

    private MemslotDecider() {
    }

    public static Decision decide(MemslotState s, MemslotCommand c) {
        if (c instanceof Query) {
            return Decision.ok();
        } else if (c instanceof PrepareChange p) {
            return prepareChange(s, p);
        } else if (c instanceof CommitChange p) {
            return commitChange(s, p);
        } else if (c instanceof CheckLock l) {
            return checkLock(s, l.mode());
        } else if (c instanceof Stage2Map m) {
            return m.count() == 0 ? Decision.ok()
                    : Decision.accept(new Stage2Mapped(m.firstGfn(), m.count(), m.writable(), m.executable()));
        } else if (c instanceof Stage2Unmap u) {
            return mapsAnyOf(s, u.firstGfn(), u.count()) ? Decision.accept(new Stage2Unmapped(u.firstGfn(), u.count()))
                    : Decision.ok();
        } else if (c instanceof Lock l) {
            return Decision.accept(new MemslotLocked(l.mode()));
        } else if (c instanceof Unlock) {
            return s.locked() ? Decision.accept(new MemslotUnlocked(s.lock())) : Decision.reject(Errno.EINVAL);
        } else if (c instanceof SetSpte p) {
            return X86Sptes.setSpte(s, p);
        } else if (c instanceof AccessTrackGfnRange a) {
            return X86Sptes.accessTrack(s, a);
        } else if (c instanceof ZapGfnRange z) {
            return X86Sptes.zap(s, z);
        } else if (c instanceof RemoveWriteAccess) {
            return X86Sptes.removeWriteAccess(s);
        } else if (c instanceof GetDirtyLog g) {
            return X86Sptes.getDirtyLog(s, g);
        } else if (c instanceof ClearDirtyLog cl) {
            return X86Sptes.clearDirtyLog(s, cl);
        } else if (c instanceof MarkPageDirty m) {
            return s.dirtyTracked() ? Decision.accept(new PageMarkedDirty(m.gfn())) : Decision.ok();
        }
        throw new IllegalArgumentException("unhandled memslot command " + c);
    }

    // kvm_arch_prepare_memory_region() with RFC v5 09/38, then the IPA-space check
    private static Decision prepareChange(MemslotState s, PrepareChange p) {
        if (s.locked()) {
            // only turning dirty logging on for a slot locked read-only is allowed; the lock survives
            boolean enablesLogging = p.change() == MemslotChange.KVM_MR_FLAGS_ONLY
                    && !s.geometry().logsDirtyPages() && p.geometry().logsDirtyPages();
            if (!(enablesLogging && s.lock() == LockMode.READ)) {
                return Decision.reject(Errno.EBUSY);
            }
        }
        if (p.change() != MemslotChange.KVM_MR_DELETE) {
            long ipaPages = 1L << (Arm64Abi.KVM_PHYS_SHIFT - 12);
            long end = p.geometry().baseGfn() + p.geometry().npages();
            if (Long.compareUnsigned(end, ipaPages) > 0) {
                return Decision.reject(Errno.EFAULT);
            }
        }
        return Decision.ok();
    }

    private static Decision commitChange(MemslotState s, CommitChange p) {
        List<Event> events = new ArrayList<>();
        switch (p.change()) {
            case KVM_MR_CREATE -> {
                events.add(new MemslotCreated(p.geometry()));
                if (p.dirtyBitmap() && p.geometry().logsDirtyPages()) {
                    events.add(new DirtyBitmapAllocated(p.initiallySet()));
                }
            }
            case KVM_MR_DELETE -> {
                // kvm_arch_flush_shadow_memslot(): the old slot's stage-2 goes
                if (!s.stage2().isEmpty()) {
                    events.add(new Stage2Unmapped(s.geometry().baseGfn(), s.npages()));
                }
                events.add(new MemslotDeleted());
            }
            case KVM_MR_MOVE -> {
                if (!s.stage2().isEmpty()) {
                    events.add(new Stage2Unmapped(s.geometry().baseGfn(), s.npages()));
                }
                events.add(new MemslotMoved(p.geometry()));
            }
            case KVM_MR_FLAGS_ONLY -> {
                events.add(new MemslotFlagsChanged(p.geometry()));
                boolean enabling = !s.geometry().logsDirtyPages() && p.geometry().logsDirtyPages();
                boolean disabling = s.geometry().logsDirtyPages() && !p.geometry().logsDirtyPages();
                if (p.dirtyBitmap()) {
                    // kvm_prepare_memory_region(): a bitmap for logging, freed when logging stops
                    if (enabling) {
                        events.add(new DirtyBitmapAllocated(p.initiallySet()));
                    } else if (disabling && s.dirtyTracked()) {
                        events.add(new DirtyBitmapFreed());
                    }
                } else if (enabling && s.stage2().values().stream().anyMatch(Stage2Pte::writable)) {
                    // arm64 kvm_arch_commit_memory_region(): enabling logging write-protects the slot
                    events.add(new Stage2WriteProtected());
                }
            }
        }
        return Decision.accept(events);
    }

    // kvm_mmu_lock_memslot(), the checks made under slots_lock
    private static Decision checkLock(MemslotState s, LockMode mode) {
        if (!s.present()) {
            return Decision.reject(Errno.EINVAL);
        }
        if (mode == LockMode.WRITE && (s.geometry().readonly() || s.geometry().logsDirtyPages())) {
            return Decision.reject(Errno.EPERM); // READONLY, or slot->dirty_bitmap
        }
        if (s.locked()) {
            return Decision.reject(Errno.EBUSY);
        }
        return Decision.ok();
    }

    private static boolean mapsAnyOf(MemslotState s, long first, long count) {
        for (long gfn : s.stage2().keySet()) {
            if (Long.compareUnsigned(gfn - first, count) < 0) {
                return true;
            }
        }
        return false;
    }

    public static MemslotState evolve(MemslotState s, MemslotEvent e) {
        if (e instanceof MemslotCreated c) {
            return MemslotState.initial(s.vm(), s.slot()).with(true, c.geometry(), null, Map.of());
        } else if (e instanceof MemslotDeleted) {
            return MemslotState.initial(s.vm(), s.slot());
        } else if (e instanceof MemslotMoved m) {
            return s.with(true, m.geometry(), s.lock(), s.stage2());
        } else if (e instanceof MemslotFlagsChanged f) {
            return s.with(true, f.geometry(), s.lock(), s.stage2());
        } else if (e instanceof Stage2Mapped m) {
            TreeMap<Long, Stage2Pte> s2 = s.stage2Copy();
            for (long gfn = m.firstGfn(); gfn < m.firstGfn() + m.count(); gfn++) {
                s2.put(gfn, new Stage2Pte(m.writable(), m.executable()));
            }
            return s.with(s.present(), s.geometry(), s.lock(), s2);
        } else if (e instanceof Stage2Unmapped u) {
            TreeMap<Long, Stage2Pte> s2 = s.stage2Copy();
            s2.subMap(u.firstGfn(), u.firstGfn() + u.count()).clear();
            return s.with(s.present(), s.geometry(), s.lock(), s2);
        } else if (e instanceof Stage2WriteProtected) {
            TreeMap<Long, Stage2Pte> s2 = s.stage2Copy();
            s2.replaceAll((gfn, pte) -> new Stage2Pte(false, pte.executable()));
            return s.with(s.present(), s.geometry(), s.lock(), s2);
        } else if (e instanceof MemslotLocked l) {
            return s.with(s.present(), s.geometry(), l.mode(), s.stage2());
        } else if (e instanceof MemslotUnlocked) {
            return s.with(s.present(), s.geometry(), null, s.stage2());
        } else if (e instanceof DirtyBitmapAllocated a) {
            return s.withSptes(s.sptes(), DirtyBitmap.allocate(s.npages(), a.allSet()));
        } else if (e instanceof DirtyBitmapFreed) {
            return s.withSptes(s.sptes(), null);
        } else if (e instanceof SpteChanged || e instanceof SptesAccessTracked || e instanceof SptesZapped
                || e instanceof SlotWriteProtected || e instanceof DirtyLogReported || e instanceof DirtyLogCleared
                || e instanceof PageMarkedDirty) {
            return X86Sptes.evolve(s, e);
        }
        throw new IllegalArgumentException("unhandled memslot event " + e);
    }
}
