package kvmsim.journal.strace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.MemslotFlag;
import kvmsim.domain.abi.Pages;
import kvmsim.domain.abi.UapiValue;
import kvmsim.domain.abi.VmType;
import kvmsim.journal.io.LineReader;

/**
 * Turns the output of {@code strace -f -y -e trace=ioctl,mmap,munmap} of a VMM into a trace
 * (trace-format.md, "Importing strace"), one line at a time: memory holds the fd table and the
 * unfinished call of each thread, never the recording. Every call kvmsim models becomes its step
 * with the real kernel's result as {@code expect}; every other KVM ioctl becomes an {@code IOCTL}
 * pass-through step; the strace line of each modelled step is kept as a comment above it.
 */
public final class StraceImporter {

    /**
     * What an import did, for the footer comment and the CLI's summary line: {@code skipped} counts
     * the lines that are not calls (signals, comments, elisions, ...) by kind, {@code unreadable}
     * the lines a lenient import could not read and skipped.
     */
    public record Summary(int lines, long steps, long modelled, long passedThrough, long notJudged,
            Map<String, Long> skipped, long unreadable, ArchChoice arch) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VCPU_PATH = Pattern.compile("anon_inode:kvm-vcpu:(\\d+)");
    /** Results that say more about the moment of the call than about KVM (trace-format.md). */
    private static final Set<String> NOT_JUDGED = Set.of("EINTR", "EAGAIN", "ERESTARTSYS", "ERESTARTNOINTR",
            "ERESTARTNOHAND", "ERESTART_RESTARTBLOCK");
    /**
     * KVM_RUN's errnos that the model decides from the vCPU's state; the others (EFAULT of a
     * memory-fault exit, EIO, EHWPOISON, ...) come from what the guest did, which strace does not show.
     */
    private static final Set<String> RUN_JUDGED = Set.of("ENOEXEC");
    private static final Map<String, Long> MEMSLOT_FLAGS = UapiValue.names(MemslotFlag.class);

    private enum FdKind { SYSTEM, VM, VCPU }

    /** What an fd of the VMM refers to; null in the table for an fd that is not KVM's. */
    private record Fd(FdKind kind, String vm, Long vcpu) {
    }

    /** The first half of a call that strace split, waiting for its thread's resumed half. */
    private record Pending(int line, String head) {
    }

    private final String file;
    private final Arch arch;
    private final ArchChoice archChoice;
    private final Writer out;
    private final Consumer<String> warnings;
    /** The architectures whose own ioctls were seen in an import for another (--arch contradicted): warned once each. */
    private final Set<IoctlArch> contradicted = EnumSet.noneOf(IoctlArch.class);
    private final Map<Long, Fd> fds = new HashMap<>();
    private final Map<String, Pending> pending = new HashMap<>();
    private final Map<String, Long> vcpusPerVm = new HashMap<>();
    private final Map<String, Long> skipped = new TreeMap<>();
    private int vms;
    private String currentVm;
    private int line;
    private long steps;
    private long modelled;
    private long passedThrough;
    private long notJudged;

    StraceImporter(String file, ArchChoice arch, boolean lenient, Writer out, Consumer<String> warnings) {
        this.file = file;
        this.arch = arch.arch();
        this.archChoice = arch;
        this.out = out;
        this.warnings = warnings;
        comment("kvmsim trace imported by `kvmsim import-strace --arch " + archName() + (lenient ? " --lenient" : "")
                + "` from " + file);
        if (arch.how() == ArchChoice.How.ASSUMED) {
            comment("no arch-specific ioctl in the recording: assumed " + archName() + "; import it with --arch if it "
                    + "was made on another");
        }
        comment("each modelled step expects what the real kernel returned; the strace line is the comment above it;");
        comment("IOCTL steps are ioctls kvmsim does not model (or whose payload strace did not decode): counted, not applied");
        emit(JSON.createObjectNode().put("op", "HOST").put("arch", archName()), null, true);
    }

    /**
     * Imports a whole recording for {@code arch}, stopping at the first line it cannot read:
     * {@code in} read line by line, the trace written to {@code out}. {@link StraceImport} is the
     * import with the CLI's options (arch inference, --lenient, warnings). Closes {@code in} at the end.
     */
    public static Summary importLines(String file, LineReader in, Arch arch, Writer out) throws StraceFormatException {
        return StraceImport.run(file, () -> in, new StraceImport.Options(arch, false, w -> { }), out);
    }

    /** A line that is not strace output but belongs to a paste (blank, comment, elision, ...): counted. */
    void skipped(LineCleaner.Kind kind) {
        count(kind.counted());
    }

    /** A line a lenient import could not read: a comment where it was, so the trace says what it lacks. */
    void unreadable(int number, String reason, String text) {
        comment("strace:" + number + ": skipped, cannot be read: " + reason
                + (text == null ? "" : ": " + (text.length() > 200 ? text.substring(0, 200) + "..." : text)));
    }

    /** One line of strace output as strace printed it (wrapped lines joined). */
    void line(LineJoiner.Joined joined) throws StraceFormatException {
        int number = joined.first();
        String text = joined.text();
        line = number;
        StraceLine l;
        try {
            l = StraceGrammar.parse(text);
        } catch (StraceGrammar.Malformed e) {
            throw bad(e.getMessage());
        }
        if (l instanceof StraceLine.Noise n) {
            count(n.kind().name().toLowerCase().replace('_', ' ') + " lines");
            if (n.kind() == StraceLine.Noise.Kind.EXIT && n.pid() != null) {
                Pending p = pending.remove(key(n.pid()));
                if (p != null) {
                    neverReturned(n.pid(), p);
                }
            }
        } else if (l instanceof StraceLine.Unfinished u) {
            Pending before = pending.put(key(u.pid()), new Pending(number, u.head()));
            if (before != null) {
                neverReturned(u.pid(), before);
            }
        } else if (l instanceof StraceLine.Resumed r) {
            Pending p = pending.remove(key(r.pid()));
            if (p == null) {
                comment("strace:" + number + ": the start of this " + r.name() + " is not in the recording: skipped");
                count("resumed calls without their start");
                return;
            }
            StraceLine.Call c;
            try {
                c = StraceGrammar.join(r.pid(), p.head(), r.tail());
            } catch (StraceGrammar.Malformed e) {
                throw bad(e.getMessage() + " (joined with its start at line " + p.line() + ")");
            }
            if (!c.name().equals(r.name())) {
                throw bad("'" + r.name() + " resumed' does not match the unfinished " + c.name() + " of line "
                        + p.line());
            }
            call(c, "strace:" + p.line() + "+" + number + " " + p.head() + " <...> " + r.tail().strip());
        } else {
            call((StraceLine.Call) l, "strace:" + joined.lines() + " " + text.strip());
        }
    }

    /**
     * Ends the import: the calls that never returned, and the footer.
     *
     * @param lines how many lines the recording has
     * @param unreadable how many of them a lenient import skipped
     */
    Summary finish(int lines, long unreadable) {
        pending.forEach((pid, p) -> neverReturned(pid, p));
        pending.clear();
        StringBuilder b = new StringBuilder("import: " + lines + " strace lines, " + steps + " steps (" + modelled
                + " modelled, " + passedThrough + " IOCTL passed through), " + notJudged + " results not judged");
        if (unreadable > 0) {
            b.append("; ").append(unreadable).append(unreadable == 1 ? " line" : " lines")
                    .append(" skipped that cannot be read");
        }
        skipped.forEach((k, v) -> b.append("; skipped ").append(v).append(' ').append(k));
        comment(b.toString());
        flush();
        return new Summary(lines, steps, modelled, passedThrough, notJudged, Map.copyOf(skipped), unreadable,
                archChoice);
    }

    // ---- calls ----

    private void call(StraceLine.Call c, String source) throws StraceFormatException {
        switch (c.name()) {
            case "ioctl":
                ioctl(c, source);
                break;
            case "mmap":
            case "mmap2":
                mmap(c, source);
                break;
            case "munmap":
                munmap(c, source);
                break;
            case "close":
                if (!c.result().failed() && c.result().value() != null && !c.args().isEmpty()) {
                    fds.remove(fd(c.args().get(0)));
                }
                count("close calls (fd table only)");
                break;
            case "dup":
            case "dup2":
            case "dup3":
                dup(c, c.args().isEmpty() ? null : c.args().get(0));
                break;
            case "fcntl":
            case "fcntl64":
                if (c.args().size() >= 2 && c.args().get(1).startsWith("F_DUPFD")) {
                    dup(c, c.args().get(0));
                } else {
                    count("other system calls");
                }
                break;
            default:
                count("other system calls");
        }
    }

    private void dup(StraceLine.Call c, String from) throws StraceFormatException {
        count("dup calls (fd table only)");
        if (from == null || c.result().failed() || c.result().value() == null) {
            return;
        }
        Fd f = fds.get(fd(from));
        if (f != null) {
            fds.put(c.result().value(), f);
        } else {
            fds.remove(c.result().value());
        }
    }

    private void ioctl(StraceLine.Call c, String source) throws StraceFormatException {
        if (c.args().size() < 2) {
            throw bad("ioctl needs an fd and a request, got " + c.args().size() + " argument(s)");
        }
        String fdArg = c.args().get(0);
        long fd = fd(fdArg);
        String path = fdPath(fdArg);
        String name = IoctlRequest.name(c.args().get(1));
        if (name.isEmpty()) {
            throw bad("ioctl without a request");
        }
        String arg = c.args().size() > 2 ? c.args().get(2) : null;
        boolean kvmName = name.startsWith("KVM_") || IoctlRequest.isKvmIoc(c.args().get(1));
        IoctlArch own = kvmName ? IoctlArch.of(name) : null;
        if (own != null && own.modelled != arch) {
            contradicts(own, name);
        }
        StraceLine.Result r = c.result();
        Fd target = resolve(fd, path, name, kvmName, r);
        if (target == null) {
            count("ioctls on fds that are not KVM's");
            return;
        }
        ObjectNode step = null;
        if (target.kind() == FdKind.SYSTEM && name.equals("KVM_CREATE_VM")) {
            step = createVm(arg);
        } else if (target.kind() == FdKind.VM && name.equals("KVM_CREATE_VCPU")) {
            step = createVcpu(target.vm(), arg);
        } else if (target.kind() == FdKind.VM && name.equals("KVM_SET_USER_MEMORY_REGION")) {
            step = setUserMemoryRegion(target.vm(), arg, source);
        } else if (target.kind() == FdKind.VCPU && name.equals("KVM_RUN")) {
            step = JSON.createObjectNode().put("op", "KVM_RUN").put("vm", target.vm()).put("vcpu", target.vcpu());
        } else if (target.kind() == FdKind.VCPU && name.equals("KVM_ARM_VCPU_INIT") && arch == Arch.ARM64
                && !r.failed() && r.value() != null) {
            // strace prints kvm_vcpu_init as a pointer: the call succeeded with a payload we cannot
            // see, so the vCPU is initialised, with the model's default (the preferred target).
            comment(source);
            comment("strace does not decode struct kvm_vcpu_init: the vCPU is initialised with the preferred "
                    + "target and no features, not judged");
            notJudged++;
            emit(JSON.createObjectNode().put("op", "KVM_ARM_VCPU_INIT").put("vm", target.vm())
                    .put("vcpu", target.vcpu()), c.pid(), true);
            return;
        }
        if (step == null) {
            passThrough(c, name, target);
            return;
        }
        comment(source);
        ObjectNode expect = expect(r, name.equals("KVM_RUN") ? RUN_JUDGED : null);
        if (expect != null) {
            step.set("expect", expect);
        }
        emit(step, c.pid(), true);
        if (name.equals("KVM_CREATE_VM") && r.value() != null && !r.failed()) {
            fds.put(r.value(), new Fd(FdKind.VM, step.get("vm").asText(), null));
            currentVm = step.get("vm").asText();
        } else if (name.equals("KVM_CREATE_VCPU") && r.value() != null && !r.failed()) {
            fds.put(r.value(), new Fd(FdKind.VCPU, target.vm(), step.get("vcpu").asLong()));
        }
    }

    /**
     * An ioctl of another architecture than the import's: the recording says the --arch given is
     * wrong, but the user said it, so the import goes on (the ioctl is passed through) with a
     * warning and a comment for the first one of each architecture.
     */
    private void contradicts(IoctlArch own, String name) {
        if (contradicted.add(own)) {
            String what = name + " is an ioctl of " + own.displayName() + " only, but the import is for " + archName()
                    + " as --arch says: imported as " + archName() + ", with the ioctls of " + own.displayName()
                    + " passed through";
            comment("strace:" + line + ": " + what);
            warnings.accept(file + ":" + line + ": warning: " + what);
        }
    }

    private void passThrough(StraceLine.Call c, String name, Fd target) {
        ObjectNode step = JSON.createObjectNode().put("op", "IOCTL").put("name", name)
                .put("fd_kind", target.kind().name().toLowerCase());
        if (target.vm() != null) {
            step.put("vm", target.vm());
        }
        if (target.vcpu() != null) {
            step.put("vcpu", target.vcpu());
        }
        StraceLine.Result r = c.result();
        if (r.value() != null) {
            step.put("ret", r.value());
        }
        if (r.errno() != null) {
            step.put("errno", r.errno());
        }
        passedThrough++;
        emit(step, c.pid(), false);
    }

    private ObjectNode createVm(String arg) throws StraceFormatException {
        ObjectNode step = JSON.createObjectNode().put("op", "KVM_CREATE_VM").put("vm", "vm" + vms).put("arch", archName());
        long type = arg == null ? 0 : number(arg, "the VM type");
        if (arch == Arch.X86_64) {
            VmType t = UapiValue.byValue(VmType.class, type);
            if (t == null || !t.modelled()) {
                return null; // a confidential-computing type kvmsim does not model: pass it through
            }
            if (t != VmType.KVM_X86_DEFAULT_VM) {
                step.put("type", t.name());
            }
        } else if (type != 0) {
            comment("KVM_CREATE_VM type 0x" + Long.toHexString(type) + " (IPA size) is not modelled: the VM gets "
                    + "the default address space");
        }
        vms++;
        return step;
    }

    private ObjectNode createVcpu(String vm, String arg) throws StraceFormatException {
        if (arg == null) {
            throw bad("KVM_CREATE_VCPU without its vCPU id");
        }
        long id = number(arg, "the vCPU id");
        if (id < 0 || id > 0xFFFF_FFFFL) {
            throw bad("the vCPU id '" + arg + "' is not a 32-bit unsigned number");
        }
        vcpusPerVm.merge(vm, 1L, Long::sum);
        return JSON.createObjectNode().put("op", "KVM_CREATE_VCPU").put("vm", vm).put("vcpu", id);
    }

    /** {slot=0, flags=KVM_MEM_LOG_DIRTY_PAGES, guest_phys_addr=0, memory_size=33554432, userspace_addr=0x7f..} */
    private ObjectNode setUserMemoryRegion(String vm, String arg, String source) throws StraceFormatException {
        Map<String, String> f = struct(arg);
        if (f == null) {
            return null; // strace printed the pointer, not the struct
        }
        Long slot = StraceGrammar.number(f.getOrDefault("slot", "x"));
        Long gpa = StraceGrammar.number(f.getOrDefault("guest_phys_addr", "x"));
        Long size = StraceGrammar.number(f.getOrDefault("memory_size", "x"));
        Long hva = StraceGrammar.number(f.getOrDefault("userspace_addr", "x"));
        Long flags = memslotFlags(f.get("flags"));
        if (slot == null || gpa == null || size == null || hva == null || flags == null) {
            comment(source);
            comment("the struct above is not one kvmsim can read: passed through");
            return null;
        }
        if (slot < 0 || slot > 0xFFFF_FFFFL) {
            // struct kvm_userspace_memory_region's slot is a __u32: no kernel saw this value, and strace
            // prints the field as one; the recording was edited or damaged
            throw bad("the memslot id '" + f.get("slot") + "' is not a 32-bit unsigned number (slot is a __u32 in "
                    + "struct kvm_userspace_memory_region)");
        }
        ObjectNode step = JSON.createObjectNode().put("op", "KVM_SET_USER_MEMORY_REGION").put("vm", vm)
                .put("slot", slot);
        List<String> names = new ArrayList<>();
        long known = 0;
        for (Map.Entry<String, Long> e : new TreeMap<>(MEMSLOT_FLAGS).entrySet()) {
            if ((flags & e.getValue()) != 0) {
                names.add(e.getKey());
                known |= e.getValue();
            }
        }
        if (known == flags) {
            step.set("flags", JSON.valueToTree(names));
        } else {
            withU64(step, "flags", flags);
        }
        step.put("guest_phys_addr", hex(gpa));
        withU64(step, "memory_size", size).put("userspace_addr", hex(hva));
        return step;
    }

    /** The fields of a struct strace printed as {@code {a=1, b=X|Y}}; null if the argument is not one. */
    private static Map<String, String> struct(String arg) {
        if (arg == null || !arg.startsWith("{") || !arg.endsWith("}")) {
            return null;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String part : StraceGrammar.splitArgs(arg.substring(1, arg.length() - 1))) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                fields.put(part.substring(0, eq).strip(), stripComment(part.substring(eq + 1).strip()));
            }
        }
        return fields;
    }

    /** {@code 0x1 /* KVM_MEM_LOG_DIRTY_PAGES *\/} under -X verbose: the value is before the comment. */
    private static String stripComment(String v) {
        int c = v.indexOf("/*");
        return c >= 0 ? v.substring(0, c).strip() : v;
    }

    /** {@code KVM_MEM_LOG_DIRTY_PAGES|KVM_MEM_READONLY}, {@code 0}, {@code KVM_MEM_READONLY|0x8}; null if unreadable. */
    private static Long memslotFlags(String v) {
        if (v == null) {
            return null;
        }
        long bits = 0;
        for (String part : v.split("\\|")) {
            String p = part.strip();
            Long n = MEMSLOT_FLAGS.containsKey(p) ? MEMSLOT_FLAGS.get(p) : StraceGrammar.number(p);
            if (n == null) {
                return null;
            }
            bits |= n;
        }
        return bits;
    }

    private void mmap(StraceLine.Call c, String source) throws StraceFormatException {
        if (c.args().size() != 6) {
            throw bad(c.name() + " takes 6 arguments, got " + c.args().size());
        }
        if (!c.args().get(0).equals("NULL")) {
            number(c.args().get(0), "the mmap address");
        }
        long length = number(c.args().get(1), "the mmap length");
        String prot = c.args().get(2);
        String flags = c.args().get(3);
        StraceLine.Result r = c.result();
        if (r.failed() || r.value() == null) {
            notJudged++;
            comment(source);
            comment("a failed mmap maps nothing: no step (its errno depends on the process, not on KVM)");
            return;
        }
        // do_mmap() maps whole pages; MAP_FIXED replaces what was there (MAP_FIXED_NOREPLACE does not)
        long pages = Pages.alignUp(length);
        comment(source);
        if (hasFlag(flags, "MAP_FIXED")) {
            ObjectNode unmap = JSON.createObjectNode().put("op", "MUNMAP").put("hva", hex(r.value()));
            emit(withU64(unmap, "length", pages), c.pid(), true);
        }
        ObjectNode step = withU64(JSON.createObjectNode().put("op", "MMAP").put("hva", hex(r.value())), "length", pages)
                .put("shared", hasFlag(flags, "MAP_SHARED") || hasFlag(flags, "MAP_SHARED_VALIDATE"));
        if (hasFlag(prot, "PROT_MTE")) {
            step.put("prot_mte", true);
        }
        step.set("expect", JSON.createObjectNode().put("ret", 0));
        emit(step, c.pid(), true);
    }

    private void munmap(StraceLine.Call c, String source) throws StraceFormatException {
        if (c.args().size() != 2) {
            throw bad("munmap takes 2 arguments, got " + c.args().size());
        }
        long addr = number(c.args().get(0), "the munmap address");
        long length = number(c.args().get(1), "the munmap length");
        comment(source);
        ObjectNode step = withU64(JSON.createObjectNode().put("op", "MUNMAP").put("hva", hex(addr)), "length", length);
        ObjectNode expect = expect(c.result(), null);
        if (expect != null) {
            step.set("expect", expect);
        }
        emit(step, c.pid(), true);
    }

    private static boolean hasFlag(String flags, String name) {
        for (String f : flags.split("\\|")) {
            if (f.strip().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The kernel's result as an expectation: {@code ret 0} for a success (the fd of a creating
     * ioctl, the address of an mmap), the errno of a failure the model can give, or null with a
     * comment when the result is not the model's business.
     *
     * @param judged for KVM_RUN, the only errnos judged; null: every errno the model knows
     */
    private ObjectNode expect(StraceLine.Result r, Set<String> judged) {
        if (r.value() == null) {
            notJudged++;
            comment(r.errno() != null ? "interrupted (" + r.errno() + ") and restarted by the kernel: not judged"
                    : "the call never returned (its process went away): not judged");
            return null;
        }
        if (!r.failed()) {
            return JSON.createObjectNode().put("ret", 0);
        }
        boolean known = Errno.byName(r.errno()) != null;
        if (NOT_JUDGED.contains(r.errno()) || !known || (judged != null && !judged.contains(r.errno()))) {
            notJudged++;
            comment(r.errno() + " depends on " + (NOT_JUDGED.contains(r.errno()) ? "a signal or a retry"
                    : "what the guest or the process did") + ", not on the model: not judged");
            return null;
        }
        return JSON.createObjectNode().put("errno", r.errno());
    }

    // ---- fds ----

    /**
     * What {@code fd} refers to: from the {@code -y} name if strace printed one, else from the fd
     * table, else (a recording that starts after the fd was opened) from the ioctl's scope. An
     * ioctl on a VM or vCPU that was created before the recording started creates a synthetic one.
     * Null for an fd that is not KVM's (a terminal, a socket).
     */
    private Fd resolve(long fd, String path, String name, boolean kvmName, StraceLine.Result r) {
        Fd known = fds.get(fd);
        if (path != null) {
            if (path.equals("/dev/kvm") || path.startsWith("/dev/kvm<")) {
                return remember(fd, new Fd(FdKind.SYSTEM, null, null));
            } else if (path.equals("anon_inode:kvm-vm")) {
                return known != null && known.kind() == FdKind.VM ? known : synthesizeVm(fd);
            }
            Matcher m = VCPU_PATH.matcher(path);
            Long id = m.matches() ? StraceGrammar.number(m.group(1)) : null;
            if (id != null && id >= 0) {
                return known != null && known.kind() == FdKind.VCPU && known.vcpu().equals(id) ? known
                        : synthesizeVcpu(fd, id);
            }
            fds.remove(fd);
            return null;
        }
        if (known != null) {
            return known;
        }
        if (!kvmName || "EBADF".equals(r.errno())) {
            return null; // not KVM's, or no fd at all: nothing to synthesise
        }
        IoctlScope scope = IoctlScope.of(name);
        if (scope == IoctlScope.VM) {
            return synthesizeVm(fd);
        } else if (scope == IoctlScope.VCPU) {
            return synthesizeVcpu(fd, null);
        }
        // KVM_CHECK_EXTENSION and friends work on /dev/kvm and on a VM: without a name, the system
        return remember(fd, new Fd(FdKind.SYSTEM, null, null));
    }

    private Fd remember(long fd, Fd f) {
        fds.put(fd, f);
        return f;
    }

    private Fd synthesizeVm(long fd) {
        String vm = "vm" + vms++;
        comment("strace:" + line + ": fd " + fd + " is a VM created before the recording started: synthetic " + vm);
        emit(JSON.createObjectNode().put("op", "KVM_CREATE_VM").put("vm", vm).put("arch", archName()), null, true);
        currentVm = vm;
        return remember(fd, new Fd(FdKind.VM, vm, null));
    }

    private Fd synthesizeVcpu(long fd, Long id) {
        if (currentVm == null) {
            String vm = "vm" + vms++;
            comment("strace:" + line + ": the VM of fd " + fd + " was created before the recording started: synthetic "
                    + vm);
            emit(JSON.createObjectNode().put("op", "KVM_CREATE_VM").put("vm", vm).put("arch", archName()), null, true);
            currentVm = vm;
        }
        long vcpu = id != null ? id : vcpusPerVm.getOrDefault(currentVm, 0L);
        vcpusPerVm.merge(currentVm, 1L, Long::sum);
        comment("strace:" + line + ": fd " + fd + " is a vCPU created before the recording started: synthetic vCPU "
                + vcpu + " of " + currentVm);
        emit(JSON.createObjectNode().put("op", "KVM_CREATE_VCPU").put("vm", currentVm).put("vcpu", vcpu), null, true);
        if (arch == Arch.ARM64) {
            emit(JSON.createObjectNode().put("op", "KVM_ARM_VCPU_INIT").put("vm", currentVm).put("vcpu", vcpu), null,
                    true);
        }
        return remember(fd, new Fd(FdKind.VCPU, currentVm, vcpu));
    }

    private long fd(String arg) throws StraceFormatException {
        int angle = arg.indexOf('<');
        String n = angle >= 0 ? arg.substring(0, angle) : arg;
        Long v = StraceGrammar.number(n.strip());
        if (v == null || v < 0) {
            throw bad("'" + arg + "' is not a file descriptor");
        }
        return v;
    }

    /** The {@code -y} name of an fd argument ({@code 8<anon_inode:kvm-vm>} → {@code anon_inode:kvm-vm}), or null. */
    private String fdPath(String arg) throws StraceFormatException {
        int angle = arg.indexOf('<');
        if (angle < 0) {
            return null;
        }
        int end = StraceGrammar.closingAngle(arg.substring(angle));
        if (end < 0) {
            throw bad("'" + arg + "': the fd name is not closed by '>'");
        }
        return arg.substring(angle + 1, angle + end);
    }

    // ---- output ----

    private void emit(ObjectNode step, String pid, boolean isModelled) {
        if (pid != null) {
            com.fasterxml.jackson.databind.JsonNode expect = step.remove("expect");
            step.put("thread", pid);
            if (expect != null) {
                step.set("expect", expect);
            }
        }
        steps++;
        if (isModelled) {
            modelled++;
        }
        write(step);
    }

    private void write(ObjectNode node) {
        try {
            out.write(JSON.writeValueAsString(node));
            out.write('\n');
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void comment(String text) {
        try {
            out.write("# ");
            out.write(text.replace('\n', ' ').replace('\r', ' '));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void neverReturned(String pid, Pending p) {
        notJudged++;
        comment("strace:" + p.line() + ": this call never returned (its thread" + (pid == null ? "" : " " + pid)
                + " exited or the recording ended): skipped: " + p.head());
    }

    private void count(String what) {
        skipped.merge(what, 1L, Long::sum);
    }

    private static String key(String pid) {
        return pid == null ? "" : pid;
    }

    private String archName() {
        return arch.traceName;
    }

    private long number(String text, String what) throws StraceFormatException {
        Long v = StraceGrammar.number(stripComment(text.strip()));
        if (v == null) {
            throw bad(what + " '" + text + "' is not a number");
        }
        return v;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** A u64 field: a JSON number up to 2^63-1, beyond it the decimal string trace-format.md allows. */
    private static ObjectNode withU64(ObjectNode o, String field, long v) {
        return v >= 0 ? o.put(field, v) : o.put(field, Long.toUnsignedString(v));
    }

    private StraceFormatException bad(String reason) {
        return StraceFormatException.unreadableLine(file, line, reason);
    }
}
