package kvmsim.domain.memslot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmsim.domain.abi.Arm64Abi;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.entity.Decision;
import kvmsim.domain.entity.Event;
import kvmsim.domain.memslot.MemslotCommand.*;
import kvmsim.domain.memslot.MemslotEvent.*;
import org.pcollections.TreePMap;

/** decide/evolve for one memslot. */
public final class MemslotDecider {

    private MemslotDecider() {
    }

    public static Decision decide(MemslotState s, MemslotCommand c) {
        return switch (c) {
            case PrepareChange p -> prepareChange(s, p);
            case CommitChange p -> commitChange(s, p);
            case Stage2Map m -> m.count() == 0 ? Decision.ok()
                    : Decision.accept(new Stage2Mapped(m.firstGfn(), m.count(), m.writable(), m.executable()));
            case Stage2Unmap u -> mapsAnyOf(s, u.firstGfn(), u.count())
                    ? Decision.accept(new Stage2Unmapped(u.firstGfn(), u.count())) : Decision.ok();
            case Lock l -> {
                Errno e = lockCheck(s, l.mode());
                yield e != null ? Decision.reject(e) : Decision.accept(new MemslotLocked(l.mode()));
            }
            case Unlock u -> s.locked() ? Decision.accept(new MemslotUnlocked(s.lock())) : Decision.reject(Errno.EINVAL);
            case FastPageFault f -> X86Sptes.fastPageFault(s, f);
            case MakeSpte m -> X86Sptes.makeSpte(s, m);
            case Stage2Fault f -> stage2Fault(s, f);
            case AccessTrackGfnRange a -> X86Sptes.accessTrack(s, a);
            case ZapGfnRange z -> X86Sptes.zap(s, z);
            case RemoveWriteAccess r -> X86Sptes.removeWriteAccess(s, r);
            case RecoverHugePages r -> X86Sptes.recoverHugePages(s, r);
            case GetDirtyLog g -> X86Sptes.getDirtyLog(s, g);
            case ClearDirtyLog cl -> X86Sptes.clearDirtyLog(s, cl);
            case EnableLogDirtyPtMasked m -> X86Sptes.enableLogDirtyPtMasked(s, m);
            case MarkPageDirty m -> s.dirtyTracked() ? Decision.accept(new PageMarkedDirty(m.gfn())) : Decision.ok();
        };
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
            long ipaPages = Pages.pagesIn(Arm64Abi.KVM_PHYS_SHIFT);
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
                dirtyBitmap(false, p, events);
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
                dirtyBitmap(s.dirtyTracked(), p, events);
            }
            case KVM_MR_FLAGS_ONLY -> {
                events.add(new MemslotFlagsChanged(p.geometry()));
                boolean enabling = !s.geometry().logsDirtyPages() && p.geometry().logsDirtyPages();
                if (p.dirtyBitmap()) {
                    dirtyBitmap(s.dirtyTracked(), p, events);
                } else if (enabling && s.stage2().values().stream().anyMatch(Stage2Pte::writable)) {
                    // arm64 kvm_arch_commit_memory_region(): enabling logging write-protects the slot
                    events.add(new Stage2WriteProtected());
                }
            }
        }
        return Decision.accept(events);
    }

    // kvm_prepare_memory_region() and kvm_commit_memory_region(), alike for CREATE, MOVE and
    // FLAGS_ONLY (a MOVE is decided by the gpa alone and may toggle logging too): a slot that logs
    // keeps the bitmap it had, bits and all, or gets a fresh one (every bit set under
    // KVM_DIRTY_LOG_INITIALLY_SET) if kvm_use_dirty_bitmap(); one that stops logging frees its bitmap
    private static void dirtyBitmap(boolean hadBitmap, CommitChange p, List<Event> events) {
        if (!p.dirtyBitmap()) {
            return;
        }
        boolean logs = p.geometry().logsDirtyPages();
        if (logs && !hadBitmap && p.useDirtyBitmap()) {
            events.add(new DirtyBitmapAllocated(p.initiallySet()));
        } else if (!logs && hadBitmap) {
            events.add(new DirtyBitmapFreed());
        }
    }

    /** kvm_mmu_lock_memslot()'s checks of the slot under slots_lock: its errno, or null when it may be locked. */
    public static Errno lockCheck(MemslotState s, LockMode mode) {
        if (!s.present()) {
            return Errno.EINVAL;
        }
        if (mode == LockMode.WRITE && (s.geometry().readonly() || s.geometry().logsDirtyPages())) {
            return Errno.EPERM; // READONLY, or slot->dirty_bitmap
        }
        if (s.locked()) {
            return Errno.EBUSY;
        }
        return null;
    }

    // user_mem_abort(): no leaf is a translation fault, a leaf without the access's permission a permission fault
    private static Decision stage2Fault(MemslotState s, Stage2Fault f) {
        Stage2Pte pte = s.pte(f.gfn());
        if (pte == null) {
            return Decision.accept(new Stage2Mapped(f.gfn(), 1, f.write(), f.exec()));
        }
        if ((f.write() && !pte.writable()) || (f.exec() && !pte.executable())) {
            return Decision.accept(new Stage2Mapped(f.gfn(), 1, pte.writable() || f.write(),
                    pte.executable() || f.exec()));
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
        return switch (e) {
            case MemslotCreated c -> MemslotState.initial(s.vm(), s.slot()).with(true, c.geometry(), null, Map.of());
            case MemslotDeleted d -> MemslotState.initial(s.vm(), s.slot());
            case MemslotMoved m -> s.with(true, m.geometry(), s.lock(), s.stage2());
            case MemslotFlagsChanged f -> s.with(true, f.geometry(), s.lock(), s.stage2());
            case Stage2Mapped m -> {
                TreePMap<Long, Stage2Pte> s2 = s.stage2Map();
                Stage2Pte pte = new Stage2Pte(m.writable(), m.executable());
                for (long gfn = m.firstGfn(); gfn < m.firstGfn() + m.count(); gfn++) {
                    s2 = s2.plus(gfn, pte);
                }
                yield s.with(s.present(), s.geometry(), s.lock(), s2);
            }
            case Stage2Unmapped u -> {
                TreePMap<Long, Stage2Pte> s2 = s.stage2Map();
                s2 = s2.minusAll(s2.subMap(u.firstGfn(), u.firstGfn() + u.count()).keySet());
                yield s.with(s.present(), s.geometry(), s.lock(), s2);
            }
            case Stage2WriteProtected w -> {
                TreePMap<Long, Stage2Pte> s2 = s.stage2Map();
                for (Map.Entry<Long, Stage2Pte> leaf : s.stage2().entrySet()) {
                    s2 = s2.plus(leaf.getKey(), new Stage2Pte(false, leaf.getValue().executable()));
                }
                yield s.with(s.present(), s.geometry(), s.lock(), s2);
            }
            case MemslotLocked l -> s.with(s.present(), s.geometry(), l.mode(), s.stage2());
            case MemslotUnlocked u -> s.with(s.present(), s.geometry(), null, s.stage2());
            case DirtyBitmapAllocated a -> s.withSptes(s.sptes(), DirtyBitmap.allocate(s.npages(), a.allSet()));
            case DirtyBitmapFreed f -> s.withSptes(s.sptes(), null);
            case SpteChanged c -> X86Sptes.spteChanged(s, c);
            case SptesAccessTracked a -> X86Sptes.accessTracked(s, a);
            case SptesZapped z -> X86Sptes.zapped(s, z);
            case SlotWriteProtected w -> X86Sptes.writeProtected(s, w.changed(), s.dirtyBitmap());
            case DirtyLogReported r -> X86Sptes.logReported(s, r);
            case DirtyLogCleared c -> X86Sptes.logCleared(s, c);
            case PageMarkedDirty m -> X86Sptes.markedDirty(s, m);
            case GfnsWriteProtected w -> X86Sptes.writeProtected(s, w.changed(), s.dirtyBitmap());
            case HugeSptesSplit h -> X86Sptes.split(s, h.frames());
            case HugeSptesWriteProtected h -> X86Sptes.ptProtected(s, h.frames());
        };
    }
}
