package kvmsim.journal.trace;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.audit.Invariant;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.host.pkvm.Access;
import kvmsim.domain.host.pkvm.Hvc;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.CheckItem;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.trace.StepMeta;
import kvmsim.domain.trace.Trace;
import kvmsim.domain.vcpu.GuestAccessKind;
import kvmsim.journal.io.LineReader;

/**
 * Reads a trace (trace-format.md, version 1) into a {@link Trace}. The whole file is validated
 * before any of it runs, so parsing stops at the first bad line and reports it as
 * {@code FILE:LINE: reason}. Valid steps whose model is not built yet are fully validated and then
 * become {@link Step.NotModelled}, so a trace written today stays valid as the model grows.
 */
public final class TraceParser {

    private TraceParser() {
    }

    // Duplicate detection is off in Jackson by default, and a key given twice must not let the
    // second value silently win (trace-format.md). Big decimals keep a float's text as written for
    // the error message.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern HEX = Pattern.compile("0[xX][0-9a-fA-F]+");
    private static final Pattern DEC = Pattern.compile("-?[0-9]+");
    private static final Pattern ERRNO_NAME = Pattern.compile("E[A-Z0-9_]{1,31}");
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'");
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final BigInteger U32_MAX = BigInteger.valueOf(0xFFFF_FFFFL);

    private static final String DEFAULT_HOST = "host0";
    private static final String DEFAULT_THREAD = "main";

    // ---- names of flags and enumerations, with their kernel values ----

    private static final Map<String, Long> MEMSLOT_FLAGS = names(
            "KVM_MEM_LOG_DIRTY_PAGES", 1L, "KVM_MEM_READONLY", 2L, "KVM_MEM_GUEST_MEMFD", 4L);
    private static final Map<String, Long> CAP_FLAGS = names(
            "KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_LOCK", 1L,
            "KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_UNLOCK", 2L);
    private static final Map<String, Long> GMEM_FLAGS = names(
            "GUEST_MEMFD_FLAG_MMAP", 1L, "GUEST_MEMFD_FLAG_INIT_SHARED", 2L, "KVM_GMEM_NO_DIRECT_MAP", 4L);
    private static final Map<String, Long> MEMORY_ATTRIBUTES = names("KVM_MEMORY_ATTRIBUTE_PRIVATE", 1L << 3);
    private static final Map<String, Long> VCPU_FEATURES = names(
            "KVM_ARM_VCPU_POWER_OFF", 1L << 0, "KVM_ARM_VCPU_EL1_32BIT", 1L << 1,
            "KVM_ARM_VCPU_PSCI_0_2", 1L << 2, "KVM_ARM_VCPU_PMU_V3", 1L << 3, "KVM_ARM_VCPU_SVE", 1L << 4,
            "KVM_ARM_VCPU_PTRAUTH_ADDRESS", 1L << 5, "KVM_ARM_VCPU_PTRAUTH_GENERIC", 1L << 6,
            "KVM_ARM_VCPU_HAS_EL2", 1L << 7);
    private static final Map<String, Long> ARM_TARGETS = names(
            "KVM_ARM_TARGET_AEM_V8", 0L, "KVM_ARM_TARGET_FOUNDATION_V8", 1L, "KVM_ARM_TARGET_CORTEX_A57", 2L,
            "KVM_ARM_TARGET_XGENE_POTENZA", 3L, "KVM_ARM_TARGET_CORTEX_A53", 4L, "KVM_ARM_TARGET_GENERIC_V8", 5L);

    private static final String CAP_MTE = "KVM_CAP_ARM_MTE";
    private static final String CAP_DIRTY_LOG = "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2";
    private static final String CAP_LOCK = "KVM_CAP_ARM_LOCK_USER_MEMORY_REGION";
    /** Per capability, the names its {@code args} entries may use. */
    private static final Map<String, Map<String, Long>> CAP_ARGS = capArgs();

    private static Map<String, Map<String, Long>> capArgs() {
        Map<String, Map<String, Long>> m = new LinkedHashMap<>();
        m.put(CAP_MTE, Map.of());
        m.put(CAP_DIRTY_LOG, names("KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE", 1L, "KVM_DIRTY_LOG_INITIALLY_SET", 2L));
        m.put(CAP_LOCK, names("KVM_ARM_LOCK_MEM_READ", 1L, "KVM_ARM_LOCK_MEM_WRITE", 2L,
                "KVM_ARM_UNLOCK_MEM_ALL", 1L));
        return Collections.unmodifiableMap(m);
    }

    /** x86 VM types by their KVM_CREATE_VM number (arch/x86/include/uapi/asm/kvm.h). */
    private static final List<String> X86_VM_TYPES = List.of("KVM_X86_DEFAULT_VM", "KVM_X86_SW_PROTECTED_VM",
            "KVM_X86_SEV_VM", "KVM_X86_SEV_ES_VM", "KVM_X86_SNP_VM", "KVM_X86_TDX_VM");

    private static final List<String> PENDING_OPS = List.of("FLUSH_DCACHE", "INVAL_ICACHE", "SANITISE_TAGS");
    private static final List<String> PAGE_PROPS = List.of("mte_tagged", "pinned", "direct_map");
    private static final List<String> SPTE_PROPS = List.of("present", "writable", "mmu_writable",
            "host_writable", "access_tracked");
    private static final List<String> CACHE_PROPS = List.of("active", "valid");
    private static final List<String> PAGE_STATES = List.of("OWNED", "SHARED_OWNED", "SHARED_BORROWED", "NOPAGE");

    private static final List<String> ARM64_FEATURES = List.of("mte", "fwb", "pkvm", "memory");
    private static final List<String> X86_FEATURES = List.of("ad_bits", "smm", "memory_attributes", "vm_types",
            "gmem_flags", "memory");

    // ---- which fields each op takes ----

    private static final Set<String> RET_ERRNO = Set.of("ret", "errno");
    private static final Set<String> NO_EXPECT = Set.of();
    private static final Set<String> EXPECT_KEYS = Set.of("ret", "errno", "exit", "tlb", "dirty_pages", "result");

    /**
     * The fields of an op besides {@code op}, {@code thread} and {@code expect}. Required means the
     * kernel call has nothing to act on without it; a field whose kernel value 0 is meaningful by
     * itself (flags, an offset) is optional and defaults to 0.
     */
    private record OpSpec(List<String> required, List<String> optional, Set<String> expect) {
    }

    private static final Map<String, OpSpec> SPECS = specs();

    private static Map<String, OpSpec> specs() {
        Map<String, OpSpec> m = new LinkedHashMap<>();
        m.put("HOST", new OpSpec(List.of("arch"), List.of("host", "features"), NO_EXPECT));
        // shared defaults to false: a private anonymous mapping, as most VMMs use for guest RAM.
        m.put("MMAP", new OpSpec(List.of("hva", "length"), List.of("host", "shared", "prot_mte"), RET_ERRNO));
        m.put("MUNMAP", new OpSpec(List.of("hva", "length"), List.of("host"), RET_ERRNO));
        m.put("SET_RLIMIT_MEMLOCK", new OpSpec(List.of("bytes"), List.of("host"), RET_ERRNO));
        m.put("USERSPACE_WRITE", new OpSpec(List.of("vm", "gpa", "length"), List.of(), RET_ERRNO));
        m.put("KVM_CREATE_VM", new OpSpec(List.of("vm", "arch"), List.of("host", "type"), RET_ERRNO));
        m.put("KVM_CREATE_VCPU", new OpSpec(List.of("vm", "vcpu"), List.of(), RET_ERRNO));
        m.put("KVM_ENABLE_CAP", new OpSpec(List.of("vm", "cap"), List.of("flags", "args"), RET_ERRNO));
        m.put("KVM_ARM_VCPU_INIT", new OpSpec(List.of("vm", "vcpu"), List.of("target", "features"), RET_ERRNO));
        m.put("KVM_RUN", new OpSpec(List.of("vm", "vcpu"), List.of(), RET_ERRNO));
        List<String> region = List.of("vm", "slot", "guest_phys_addr", "memory_size", "userspace_addr");
        m.put("KVM_SET_USER_MEMORY_REGION", new OpSpec(region, List.of("flags"), RET_ERRNO));
        // guest_memfd is only read by the kernel when flags has KVM_MEM_GUEST_MEMFD; without it the
        // call still means something, so it is optional (its absence is the model's EINVAL/EBADF).
        m.put("KVM_SET_USER_MEMORY_REGION2", new OpSpec(region,
                List.of("flags", "guest_memfd", "guest_memfd_offset"), RET_ERRNO));
        m.put("KVM_CREATE_GUEST_MEMFD", new OpSpec(List.of("vm", "gmem", "size"), List.of("flags"), RET_ERRNO));
        // attributes is required although [] (0) is a valid value: leaving it out would silently
        // mean "convert to shared", which is the whole effect of the call.
        m.put("KVM_SET_MEMORY_ATTRIBUTES", new OpSpec(List.of("vm", "address", "size", "attributes"), List.of(),
                RET_ERRNO));
        m.put("KVM_GET_DIRTY_LOG", new OpSpec(List.of("vm", "slot"), List.of(),
                Set.of("ret", "errno", "dirty_pages")));
        m.put("KVM_CLEAR_DIRTY_LOG", new OpSpec(List.of("vm", "slot", "first_page", "num_pages"),
                List.of("pages"), RET_ERRNO));
        // vm and vcpu are required by fd_kind (checked in build), ret is optional: a recording
        // may have lost it.
        m.put("IOCTL", new OpSpec(List.of("name", "fd_kind"), List.of("vm", "vcpu", "ret", "errno"), NO_EXPECT));
        Set<String> guest = Set.of("ret", "errno", "exit", "tlb");
        for (GuestAccessKind k : GuestAccessKind.values()) {
            m.put("GUEST_" + k.name(), new OpSpec(List.of("vm", "vcpu", "gpa"), List.of(), guest));
        }
        m.put("MMU_NOTIFIER_CLEAR_YOUNG", new OpSpec(List.of("vm", "gpa", "length"), List.of(), NO_EXPECT));
        m.put("MMU_NOTIFIER_INVALIDATE", new OpSpec(List.of("vm", "gpa", "length"), List.of(), NO_EXPECT));
        m.put("KVM_READ_GUEST", new OpSpec(List.of("vm", "gpa", "length"), List.of(), RET_ERRNO));
        m.put("KVM_WRITE_GUEST", new OpSpec(List.of("vm", "gpa", "length"), List.of(), RET_ERRNO));
        m.put("KVM_GPC_ACTIVATE", new OpSpec(List.of("vm", "gpc", "gpa", "length"), List.of(), RET_ERRNO));
        m.put("KVM_GPC_REFRESH", new OpSpec(List.of("vm", "gpc"), List.of(), RET_ERRNO));
        m.put("KVM_GPC_DEACTIVATE", new OpSpec(List.of("vm", "gpc"), List.of(), RET_ERRNO));
        m.put("KVM_GPC_ACCESS", new OpSpec(List.of("vm", "gpc"), List.of(), RET_ERRNO));
        // PKVM_HOST_SHARE_FFA and PKVM_HOST_UNSHARE_FFA are kvmsim's additions to the format: the
        // ownership selftest walks its page through them (README, "Trace format additions").
        for (Hvc hvc : Hvc.values()) {
            m.put(hvc.op(), new OpSpec(List.of("pfn"), List.of("host", "nr_pages"), RET_ERRNO));
        }
        m.put("PKVM_HOST_SHARE_GUEST", new OpSpec(List.of("pfn", "vm", "gfn"), List.of("host"), RET_ERRNO));
        m.put("PKVM_HOST_UNSHARE_GUEST", new OpSpec(List.of("pfn", "vm", "gfn"), List.of("host"), RET_ERRNO));
        m.put("KVM_PGTABLE_STAGE2_SET_OWNER", new OpSpec(List.of("addr", "size", "owner_id"), List.of("host"),
                RET_ERRNO));
        // The table gives HOST_MEM_ABORT only `result`: the host's fault has no return value.
        m.put("HOST_MEM_ABORT", new OpSpec(List.of("pfn", "access"), List.of("host"), Set.of("result")));
        return Collections.unmodifiableMap(m);
    }

    // ---- CHECK: selectors, keys, and which selectors each key needs ----

    private static final List<String> SELECTORS = List.of("vm", "slot", "gpa", "vcpu", "gpc", "host", "pfn");
    private static final Map<String, Set<String>> CHECK_KEYS = checkKeys();
    private static final Set<String> MODELLED_CHECK_KEYS = Set.of("pending_ops", "caps", "locked",
            "dirty_logging", "dirty_pages", "page", "spte", "tlb", "cache", "owner", "host_state", "hyp_state",
            "violations");
    /** CHECK keys of the x86 MMU: on a VM created as arm64 they are refused as not modelled. */
    private static final Set<String> X86_ONLY_CHECK_KEYS = Set.of("dirty_pages", "spte", "tlb", "cache");

    private static Map<String, Set<String>> checkKeys() {
        Map<String, Set<String>> m = new LinkedHashMap<>();
        m.put("pending_ops", Set.of("vm"));
        m.put("caps", Set.of("vm"));
        m.put("locked", Set.of("vm", "slot"));
        m.put("dirty_logging", Set.of("vm", "slot"));
        m.put("dirty_pages", Set.of("vm", "slot"));
        m.put("page", Set.of("vm", "gpa"));
        m.put("spte", Set.of("vm", "gpa"));
        m.put("tlb", Set.of("vm", "vcpu", "gpa"));
        m.put("cache", Set.of("vm", "gpc"));
        m.put("owner", Set.of("host", "pfn"));
        m.put("host_state", Set.of("host", "pfn"));
        m.put("hyp_state", Set.of("host", "pfn"));
        m.put("violations", Set.of());
        return Collections.unmodifiableMap(m);
    }

    // ---- entry points ----

    /**
     * Validates the trace at {@code path} in one streaming pass and returns a source that re-reads
     * the file for each replay: memory does not grow with the trace. Its name in messages is the
     * path as given.
     */
    public static TraceFile open(Path path) throws TraceFormatException {
        String file = path.toString();
        Summary summary = new Summary();
        Builder b = new Builder(summary, null, null);
        try (LineReader r = LineReader.open(path)) {
            feed(file, r, b);
        } catch (NoSuchFileException e) {
            throw new TraceFormatException(file, 0, "cannot read: no such file", e);
        } catch (AccessDeniedException e) {
            throw new TraceFormatException(file, 0, "cannot read: permission denied", e);
        } catch (IOException e) {
            String why = Files.isDirectory(path) ? "is a directory" : String.valueOf(e.getMessage());
            throw new TraceFormatException(file, 0, "cannot read: " + why, e);
        }
        return new TraceFile(path, summary.policy, summary.expectedViolations, summary.notModelled,
                b.hostArchs());
    }

    /** Reads and validates the trace at {@code path} into memory. */
    public static Trace parse(Path path) throws TraceFormatException {
        TraceFile t = open(path);
        List<Step> steps = new ArrayList<>();
        t.steps().forEach(steps::add);
        return new Trace(t.file(), steps);
    }

    /** Reads and validates a trace from {@code reader}; {@code fileName} is for messages only. */
    public static Trace parse(String fileName, Reader reader) throws TraceFormatException {
        StringBuilder all = new StringBuilder();
        char[] buf = new char[8192];
        try {
            for (int n; (n = reader.read(buf)) >= 0; ) {
                all.append(buf, 0, n);
            }
        } catch (IOException e) {
            throw new TraceFormatException(fileName, 0, "cannot read: " + e.getMessage(), e);
        }
        byte[] bytes = all.toString().getBytes(StandardCharsets.UTF_8);
        Builder first = new Builder(new Summary(), null, null);
        feedBytes(fileName, bytes, first);
        List<Step> steps = new ArrayList<>();
        feedBytes(fileName, bytes, new Builder(new Summary(), first.hostArchs(), steps::add));
        return new Trace(fileName, steps);
    }

    private static void feedBytes(String file, byte[] bytes, Builder b) throws TraceFormatException {
        try (LineReader r = LineReader.of(new java.io.ByteArrayInputStream(bytes))) {
            feed(file, r, b);
        } catch (IOException e) {
            throw new TraceFormatException(file, 0, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Runs every line of {@code r} through {@code b}; the first bad line stops it. */
    static void feed(String file, LineReader r, Builder b) throws IOException, TraceFormatException {
        for (String text; (text = nextLine(file, r)) != null; ) {
            line(file, r.lineNumber(), text, b);
        }
    }

    static String nextLine(String file, LineReader r) throws IOException, TraceFormatException {
        try {
            return r.next();
        } catch (CharacterCodingException e) {
            throw new TraceFormatException(file, r.lineNumber(), "not valid UTF-8", e);
        }
    }

    static void line(String file, int number, String text, Builder b) throws TraceFormatException {
        String s = text.strip();
        if (s.isEmpty() || s.startsWith("#")) {
            return;
        }
        try {
            b.line(number, s);
        } catch (Bad e) {
            throw new TraceFormatException(file, number, e.getMessage());
        }
    }

    /** What a replay needs before its first step, gathered while validating. */
    static final class Summary {
        Map<String, String> policy = Map.of();
        final Set<String> expectedViolations = new java.util.HashSet<>();
        final List<Step.NotModelled> notModelled = new ArrayList<>();

        void accept(Step s) {
            if (s instanceof Step.Policy p) {
                policy = p.values();
            } else if (s instanceof Step.NotModelled n) {
                notModelled.add(n);
            } else {
                expectedViolations.addAll(Trace.expectedViolations(s));
            }
        }
    }

    /** A reason a line is bad; turned into a TraceFormatException with its line by line(). */
    private static final class Bad extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Bad(String reason) {
            super(reason, null, false, false);
        }
    }

    private static Bad bad(String format, Object... args) {
        return new Bad(String.format(format, args));
    }

    // ---- the per-trace state: what earlier lines created and used ----

    static final class Builder {
        private final Summary summary;
        /** The arch of each host's first VM, from a first pass; null during that pass. */
        private final Map<String, Arch> archHints;
        private final java.util.function.Consumer<Step> sink;
        private final List<String> implicitNow = new ArrayList<>();
        private int firstStepLine = 0;
        private int policyLine = 0;
        private final Map<String, Integer> hostDeclared = new LinkedHashMap<>();
        private final Map<String, Integer> hostFirstUse = new LinkedHashMap<>();
        private final Set<String> pkvmHosts = new LinkedHashSet<>();
        private final Map<String, Arch> firstVmArchOnHost = new LinkedHashMap<>();
        private final Set<String> x86Vms = new LinkedHashSet<>();
        private final Set<String> arm64Vms = new LinkedHashSet<>();

        Builder(Summary summary, Map<String, Arch> archHints, java.util.function.Consumer<Step> sink) {
            this.summary = summary;
            this.archHints = archHints;
            this.sink = sink;
        }

        /** The arch of each host's first VM: a host used without HOST gets that arch's defaults. */
        Map<String, Arch> hostArchs() {
            return Map.copyOf(firstVmArchOnHost);
        }

        void line(int line, String text) {
            ObjectNode o = readObject(text);
            JsonNode opNode = o.get("op");
            if (opNode == null) {
                throw bad("missing field 'op'");
            }
            if (!opNode.isTextual()) {
                throw bad("'op' must be a string, not %s", opNode);
            }
            String op = opNode.textValue();
            if (firstStepLine == 0) {
                firstStepLine = line;
            }
            Step step;
            if (op.equals("POLICY")) {
                step = policy(o, line);
            } else if (op.equals("CHECK")) {
                step = check(o, line);
            } else {
                OpSpec spec = SPECS.get(op);
                if (spec == null) {
                    throw bad("unknown op '%s'", op);
                }
                checkFields(o, op, spec);
                step = build(op, o, line);
            }
            for (String host : implicitNow) {
                // A host's arch is known only from the VMs created on it, possibly after its
                // first use (an MMAP before KVM_CREATE_VM), hence the hints of a first pass.
                Arch arch = archHints == null ? Arch.ARM64 : archHints.getOrDefault(host, Arch.ARM64);
                StepMeta meta = new StepMeta(hostFirstUse.get(host), DEFAULT_THREAD, Expect.NONE);
                emit(new Step.HostDecl(meta, host, arch, HostFeatures.defaults(arch), true));
            }
            implicitNow.clear();
            emit(step);
        }

        private void emit(Step step) {
            summary.accept(step);
            if (sink != null) {
                sink.accept(step);
            }
        }

        private void useHost(String host, int line) {
            if (hostFirstUse.putIfAbsent(host, line) == null && !hostDeclared.containsKey(host)) {
                implicitNow.add(host);
            }
        }

        // ---- POLICY ----

        private Step policy(ObjectNode o, int line) {
            if (policyLine != 0) {
                throw bad("POLICY given twice (first at line %d)", policyLine);
            }
            if (firstStepLine != line) {
                throw bad("POLICY must be the first step of the trace (the first is at line %d)", firstStepLine);
            }
            policyLine = line;
            Map<String, String> values = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                if (key.equals("op")) {
                    continue;
                }
                if (key.equals("expect")) {
                    throw bad("POLICY takes no expect");
                }
                JsonNode v = e.getValue();
                String value;
                // pkvm-owner-bits is a number, so 8 and "8" both mean the policy value "8".
                if (v.isTextual()) {
                    value = v.textValue();
                } else if (v.isIntegralNumber()) {
                    value = v.bigIntegerValue().toString();
                } else {
                    throw bad("policy '%s' must be a string, not %s", key, v);
                }
                String problem = Policies.problem(key, value);
                if (problem != null) {
                    throw new Bad(problem);
                }
                values.put(key, value);
            }
            return new Step.Policy(new StepMeta(line, DEFAULT_THREAD, Expect.NONE),
                    Collections.unmodifiableMap(values));
        }

        // ---- fields common to the ops of SPECS ----

        private static void checkFields(ObjectNode o, String op, OpSpec spec) {
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (f.equals("op") || f.equals("thread") || spec.required().contains(f)
                        || spec.optional().contains(f)) {
                    continue;
                }
                if (f.equals("expect")) {
                    if (spec.expect().isEmpty()) {
                        throw bad("%s takes no expect", op);
                    }
                    continue;
                }
                throw bad("unknown field '%s' for %s", f, op);
            }
            for (String f : spec.required()) {
                if (!o.has(f)) {
                    throw bad("missing field '%s'", f);
                }
            }
        }

        private static StepMeta meta(ObjectNode o, int line, String op, Set<String> expectKeys) {
            String thread = DEFAULT_THREAD;
            JsonNode t = o.get("thread");
            if (t != null) {
                if (!t.isTextual() || t.textValue().isEmpty()) {
                    throw bad("'thread' must be a non-empty string, not %s", t);
                }
                thread = t.textValue();
            }
            JsonNode e = o.get("expect");
            return new StepMeta(line, thread, e == null ? Expect.NONE : expect(e, op, expectKeys));
        }

        private static Expect expect(JsonNode e, String op, Set<String> allowed) {
            if (!e.isObject()) {
                throw bad("'expect' must be an object, not %s", e);
            }
            for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!EXPECT_KEYS.contains(k)) {
                    throw bad("unknown expect key '%s'", k);
                }
                if (!allowed.contains(k)) {
                    throw bad("expect key '%s' does not apply to %s", k, op);
                }
            }
            Long ret = e.has("ret") ? s64(e.get("ret"), "ret") : null;
            String errno = null;
            if (e.has("errno")) {
                JsonNode v = e.get("errno");
                if (!v.isTextual()) {
                    throw bad("'errno' must be an errno name, not %s", v);
                }
                if (Errno.byName(v.textValue()) == null) {
                    throw bad("unknown errno '%s'", v.textValue());
                }
                errno = v.textValue();
            }
            String exit = e.has("exit")
                    ? oneOf(e.get("exit"), "exit", List.of("NONE", "KVM_EXIT_MMIO", "KVM_EXIT_MEMORY_FAULT"))
                    : null;
            String tlb = e.has("tlb") ? oneOf(e.get("tlb"), "tlb", List.of("hit", "miss")) : null;
            List<Long> dirty = e.has("dirty_pages") ? u64List(e.get("dirty_pages"), "dirty_pages") : null;
            String result = e.has("result") ? oneOf(e.get("result"), "result", List.of("mapped", "denied")) : null;
            return new Expect(ret, errno, exit, tlb, dirty, result);
        }

        // ---- the ops of SPECS ----

        private Step build(String op, ObjectNode o, int line) {
            OpSpec spec = SPECS.get(op);
            switch (op) {
                case "HOST":
                    return host(o, line, spec);
                case "MMAP": {
                    String host = id(o, "host", DEFAULT_HOST);
                    long hva = u64(o, "hva");
                    long length = u64(o, "length");
                    boolean shared = bool(o, "shared", false);
                    boolean protMte = bool(o, "prot_mte", false);
                    StepMeta meta = meta(o, line, op, spec.expect());
                    useHost(host, line);
                    return new Step.Mmap(meta, host, hva, length, shared, protMte);
                }
                case "MUNMAP": {
                    String host = id(o, "host", DEFAULT_HOST);
                    long hva = u64(o, "hva");
                    long length = u64(o, "length");
                    StepMeta meta = meta(o, line, op, spec.expect());
                    useHost(host, line);
                    return new Step.Munmap(meta, host, hva, length);
                }
                case "SET_RLIMIT_MEMLOCK": {
                    String host = id(o, "host", DEFAULT_HOST);
                    long bytes = u64(o, "bytes");
                    StepMeta meta = meta(o, line, op, spec.expect());
                    useHost(host, line);
                    return new Step.SetRlimitMemlock(meta, host, bytes);
                }
                case "USERSPACE_WRITE": {
                    String vm = id(o, "vm", null);
                    long gpa = u64(o, "gpa");
                    long length = u64(o, "length");
                    return new Step.UserspaceWrite(meta(o, line, op, spec.expect()), vm, gpa, length);
                }
                case "KVM_CREATE_VM":
                    return createVm(o, line, spec);
                case "KVM_CREATE_VCPU": {
                    String vm = id(o, "vm", null);
                    long vcpu = u64(o, "vcpu");
                    return new Step.CreateVcpu(meta(o, line, op, spec.expect()), vm, vcpu);
                }
                case "KVM_ENABLE_CAP":
                    return enableCap(o, line, spec);
                case "KVM_ARM_VCPU_INIT": {
                    String vm = id(o, "vm", null);
                    long vcpu = u64(o, "vcpu");
                    Long target = null;
                    JsonNode t = o.get("target");
                    // null, like an absent target, asks for KVM_ARM_PREFERRED_TARGET
                    if (t != null && !t.isNull()) {
                        target = flags(t, "target", ARM_TARGETS, U32_MAX, "an ARM target name");
                    }
                    long features = o.has("features")
                            ? flags(o.get("features"), "features", VCPU_FEATURES, U64_MAX, null)
                            : 0;
                    return new Step.ArmVcpuInit(meta(o, line, op, spec.expect()), vm, vcpu, target, features);
                }
                case "KVM_RUN": {
                    String vm = id(o, "vm", null);
                    long vcpu = u64(o, "vcpu");
                    return new Step.Run(meta(o, line, op, spec.expect()), vm, vcpu);
                }
                case "KVM_SET_USER_MEMORY_REGION":
                case "KVM_SET_USER_MEMORY_REGION2": {
                    String vm = id(o, "vm", null);
                    long slot = u32(o.get("slot"), "slot");
                    long flags = o.has("flags") ? flags(o.get("flags"), "flags", MEMSLOT_FLAGS, U32_MAX, null) : 0;
                    long gpa = u64(o, "guest_phys_addr");
                    long size = u64(o, "memory_size");
                    long hva = u64(o, "userspace_addr");
                    if (op.equals("KVM_SET_USER_MEMORY_REGION2")) {
                        String gmem = o.has("guest_memfd") ? id(o, "guest_memfd", null) : null;
                        long offset = o.has("guest_memfd_offset") ? u64(o, "guest_memfd_offset") : 0;
                        StepMeta meta = meta(o, line, op, spec.expect());
                        if (onArm64(vm)) {
                            return new Step.NotModelled(meta, op, op + " on an arm64 VM is not modelled (guest_memfd)");
                        }
                        return new Step.SetUserMemoryRegion2(meta, vm, slot, flags, gpa, size, hva, gmem, offset);
                    }
                    return new Step.SetUserMemoryRegion(meta(o, line, op, spec.expect()), vm, slot, flags, gpa,
                            size, hva);
                }
                case "KVM_CREATE_GUEST_MEMFD": {
                    String vm = id(o, "vm", null);
                    String gmem = id(o, "gmem", null);
                    long size = u64(o, "size");
                    long flags = o.has("flags") ? flags(o.get("flags"), "flags", GMEM_FLAGS, U64_MAX, null) : 0;
                    StepMeta meta = meta(o, line, op, spec.expect());
                    if (onArm64(vm)) {
                        return new Step.NotModelled(meta, op, op + " on an arm64 VM is not modelled (guest_memfd)");
                    }
                    return new Step.CreateGuestMemfd(meta, vm, gmem, size, flags);
                }
                case "KVM_SET_MEMORY_ATTRIBUTES": {
                    String vm = id(o, "vm", null);
                    long address = u64(o, "address");
                    long size = u64(o, "size");
                    long attributes = flags(o.get("attributes"), "attributes", MEMORY_ATTRIBUTES, U64_MAX, null);
                    StepMeta meta = meta(o, line, op, spec.expect());
                    if (onArm64(vm)) {
                        return new Step.NotModelled(meta, op, op + " on an arm64 VM is not modelled (memory attributes)");
                    }
                    return new Step.SetMemoryAttributes(meta, vm, address, size, attributes);
                }
                case "KVM_GET_DIRTY_LOG": {
                    String vm = id(o, "vm", null);
                    long slot = u32(o.get("slot"), "slot");
                    StepMeta meta = meta(o, line, op, spec.expect());
                    if (arm64Vms.contains(vm)) {
                        return new Step.NotModelled(meta, op, op + " on an arm64 VM is not modelled (arm64 dirty logging)");
                    }
                    return new Step.GetDirtyLog(meta, vm, slot);
                }
                case "KVM_CLEAR_DIRTY_LOG": {
                    String vm = id(o, "vm", null);
                    long slot = u32(o.get("slot"), "slot");
                    long first = u64(o, "first_page");
                    long num = u32(o.get("num_pages"), "num_pages");
                    List<Long> pages = o.has("pages") ? u64List(o.get("pages"), "pages") : null;
                    StepMeta meta = meta(o, line, op, spec.expect());
                    if (arm64Vms.contains(vm)) {
                        return new Step.NotModelled(meta, op, op + " on an arm64 VM is not modelled (arm64 dirty logging)");
                    }
                    return new Step.ClearDirtyLog(meta, vm, slot, first, num, pages);
                }
                case "IOCTL":
                    return ioctl(o, line);
                case "GUEST_READ":
                case "GUEST_WRITE":
                case "GUEST_EXEC": {
                    String vm = id(o, "vm", null);
                    long vcpu = u64(o, "vcpu");
                    long gpa = u64(o, "gpa");
                    StepMeta meta = meta(o, line, op, spec.expect());
                    // Decided by the KVM_CREATE_VM lines before this one: kvmsim has vCPU TLBs on x86
                    // only (an arm64 stage-2 change is followed by a hardware-broadcast TLBI).
                    if (meta.expect().tlb() != null && arm64Vms.contains(vm) && !x86Vms.contains(vm)) {
                        return new Step.NotModelled(meta, op,
                                "expect.tlb on an arm64 VM is not modelled (kvmsim models x86 vCPU TLBs)");
                    }
                    GuestAccessKind kind = GuestAccessKind.valueOf(op.substring("GUEST_".length()));
                    return new Step.GuestAccess(meta, vm, vcpu, kind, gpa);
                }
                case "MMU_NOTIFIER_CLEAR_YOUNG":
                case "MMU_NOTIFIER_INVALIDATE": {
                    String vm = id(o, "vm", null);
                    long gpa = u64(o, "gpa");
                    long length = u64(o, "length");
                    StepMeta meta = meta(o, line, op, spec.expect());
                    if (arm64Vms.contains(vm) && !x86Vms.contains(vm)) {
                        return new Step.NotModelled(meta, op, op + " on an arm64 VM is not modelled (arm64 MMU notifiers)");
                    }
                    return new Step.MmuNotifier(meta, vm, gpa, length, op.equals("MMU_NOTIFIER_INVALIDATE"));
                }
                case "KVM_READ_GUEST":
                case "KVM_WRITE_GUEST": {
                    String vm = id(o, "vm", null);
                    long gpa = u64(o, "gpa");
                    long length = u64(o, "length");
                    StepMeta meta = meta(o, line, op, spec.expect());
                    if (onArm64(vm)) {
                        return new Step.NotModelled(meta, op, op + " on an arm64 VM is not modelled (kvmsim models guest_memfd on x86)");
                    }
                    return new Step.KvmGuestCopy(meta, vm, gpa, length, op.equals("KVM_WRITE_GUEST"));
                }
                case "KVM_GPC_ACTIVATE":
                case "KVM_GPC_REFRESH":
                case "KVM_GPC_DEACTIVATE":
                case "KVM_GPC_ACCESS": {
                    String vm = id(o, "vm", null);
                    String gpc = id(o, "gpc", null);
                    long gpa = 0;
                    long length = 0;
                    if (op.equals("KVM_GPC_ACTIVATE")) {
                        gpa = u64(o, "gpa");
                        length = u64(o, "length");
                    }
                    StepMeta meta = meta(o, line, op, spec.expect());
                    if (onArm64(vm)) {
                        return new Step.NotModelled(meta, op, op + " on an arm64 VM is not modelled (kvmsim models gfn_to_pfn caches on x86)");
                    }
                    if (op.equals("KVM_GPC_ACTIVATE")) {
                        return new Step.GpcActivate(meta, vm, gpc, gpa, length);
                    }
                    return new Step.GpcStep(meta, vm, gpc,
                            Step.GpcStepKind.valueOf(op.substring("KVM_GPC_".length())));
                }
                case "PKVM_HOST_SHARE_GUEST":
                case "PKVM_HOST_UNSHARE_GUEST": {
                    String host = id(o, "host", DEFAULT_HOST);
                    long pfn = u64(o, "pfn");
                    String vm = id(o, "vm", null);
                    long gfn = u64(o, "gfn");
                    StepMeta meta = meta(o, line, op, spec.expect());
                    usePkvmHost(host, op, line);
                    return new Step.PkvmGuestShare(meta, host, pfn, vm, gfn, op.equals("PKVM_HOST_SHARE_GUEST"));
                }
                case "KVM_PGTABLE_STAGE2_SET_OWNER": {
                    String host = id(o, "host", DEFAULT_HOST);
                    long addr = u64(o, "addr");
                    long size = u64(o, "size");
                    long owner = u64(o, "owner_id");
                    StepMeta meta = meta(o, line, op, spec.expect());
                    usePkvmHost(host, op, line);
                    return new Step.Stage2SetOwner(meta, host, addr, size, owner);
                }
                case "HOST_MEM_ABORT": {
                    String host = id(o, "host", DEFAULT_HOST);
                    long pfn = u64(o, "pfn");
                    String access = oneOf(o.get("access"), "access", List.of("read", "write", "exec"));
                    StepMeta meta = meta(o, line, op, spec.expect());
                    usePkvmHost(host, op, line);
                    return new Step.HostMemAbort(meta, host, pfn, Access.valueOf(access.toUpperCase(Locale.ROOT)));
                }
                default: {
                    // the page-range hypercalls
                    String host = id(o, "host", DEFAULT_HOST);
                    long pfn = u64(o, "pfn");
                    long nrPages = o.has("nr_pages") ? u64(o, "nr_pages") : 1;
                    StepMeta meta = meta(o, line, op, spec.expect());
                    usePkvmHost(host, op, line);
                    return new Step.PkvmHypercall(meta, host, Hvc.valueOf(op.substring("PKVM_".length())), pfn,
                            nrPages);
                }
            }
        }

        /** A pKVM step needs a host that a HOST line declared, before it, with features.pkvm. */
        private void usePkvmHost(String host, String what, int line) {
            if (!pkvmHosts.contains(host)) {
                throw bad("%s needs a pKVM host: declare %s with {\"op\":\"HOST\",\"host\":\"%s\",\"arch\":\"arm64\","
                        + "\"features\":{\"pkvm\":true}} before it", what, host, host);
            }
            useHost(host, line);
        }

        /** Decided by the KVM_CREATE_VM lines before this one: the VM id was only ever created as arm64. */
        private boolean onArm64(String vm) {
            return arm64Vms.contains(vm) && !x86Vms.contains(vm);
        }

        private static Step notModelled(ObjectNode o, int line, String op, String reason) {
            return new Step.NotModelled(meta(o, line, op, SPECS.get(op).expect()), op, reason);
        }

        private Step host(ObjectNode o, int line, OpSpec spec) {
            String host = id(o, "host", DEFAULT_HOST);
            Integer declared = hostDeclared.get(host);
            if (declared != null) {
                throw bad("HOST %s was already declared at line %d", host, declared);
            }
            Integer used = hostFirstUse.get(host);
            if (used != null) {
                throw bad("HOST %s comes after its first use at line %d", host, used);
            }
            Arch arch = arch(o.get("arch"));
            HostFeatures f = HostFeatures.defaults(arch);
            JsonNode features = o.get("features");
            if (features != null) {
                f = features(features, arch, f);
            }
            StepMeta meta = meta(o, line, "HOST", spec.expect());
            hostDeclared.put(host, line);
            if (f.pkvm()) {
                pkvmHosts.add(host);
            }
            return new Step.HostDecl(meta, host, arch, f, false);
        }

        private static HostFeatures features(JsonNode features, Arch arch, HostFeatures d) {
            if (!features.isObject()) {
                throw bad("'features' must be an object, not %s", features);
            }
            List<String> known = arch == Arch.ARM64 ? ARM64_FEATURES : X86_FEATURES;
            boolean mte = d.mte();
            boolean fwb = d.fwb();
            boolean pkvm = d.pkvm();
            boolean adBits = d.adBits();
            boolean smm = d.smm();
            boolean memAttrs = d.memoryAttributes();
            List<String> vmTypes = d.vmTypes();
            List<String> gmemFlags = d.gmemFlags();
            long memory = d.memory();
            for (Iterator<Map.Entry<String, JsonNode>> it = features.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String k = e.getKey();
                JsonNode v = e.getValue();
                if (!known.contains(k)) {
                    throw bad("unknown feature '%s' for an %s host", k, arch.traceName);
                }
                switch (k) {
                    case "mte":
                        mte = featureBool(v, k);
                        break;
                    case "fwb":
                        fwb = featureBool(v, k);
                        break;
                    case "pkvm":
                        pkvm = featureBool(v, k);
                        break;
                    case "ad_bits":
                        adBits = featureBool(v, k);
                        break;
                    case "smm":
                        smm = featureBool(v, k);
                        break;
                    case "memory_attributes":
                        memAttrs = featureBool(v, k);
                        break;
                    case "vm_types": {
                        List<String> types = new ArrayList<>();
                        for (JsonNode t : list(v, "vm_types")) {
                            String name = x86VmType(t, "vm_types");
                            if (!types.contains(name)) {
                                types.add(name);
                            }
                        }
                        vmTypes = types;
                        break;
                    }
                    case "gmem_flags": {
                        List<String> flags = new ArrayList<>();
                        for (JsonNode t : list(v, "gmem_flags")) {
                            if (!t.isTextual() || !GMEM_FLAGS.containsKey(t.textValue())) {
                                throw bad("unknown guest_memfd flag %s in 'gmem_flags' (known: %s)", t,
                                        String.join(", ", GMEM_FLAGS.keySet()));
                            }
                            if (!flags.contains(t.textValue())) {
                                flags.add(t.textValue());
                            }
                        }
                        gmemFlags = flags;
                        break;
                    }
                    default: // memory
                        memory = u64(v, "memory");
                        break;
                }
            }
            return new HostFeatures(mte, fwb, pkvm, adBits, smm, memAttrs, vmTypes, gmemFlags, memory);
        }

        private static boolean featureBool(JsonNode v, String k) {
            if (!v.isBoolean()) {
                throw bad("feature '%s' must be true or false, not %s", k, v);
            }
            return v.booleanValue();
        }

        private Step createVm(ObjectNode o, int line, OpSpec spec) {
            String vm = id(o, "vm", null);
            Arch arch = arch(o.get("arch"));
            String host = id(o, "host", DEFAULT_HOST);
            JsonNode t = o.get("type");
            String type;
            if (arch == Arch.X86_64) {
                type = t == null ? X86_VM_TYPES.get(0) : x86VmType(t, "type");
            } else if (t == null) {
                type = null;
            } else if (t.isTextual() && !t.textValue().isEmpty() && !isNumeric(t.textValue())) {
                type = t.textValue();
            } else {
                // arm64 types are numbers (the IPA size): kept as their decimal value
                type = Long.toUnsignedString(u64(t, "type"));
            }
            StepMeta meta = meta(o, line, "KVM_CREATE_VM", spec.expect());
            useHost(host, line);
            firstVmArchOnHost.putIfAbsent(host, arch);
            if (arch == Arch.X86_64) {
                x86Vms.add(vm);
            } else {
                arm64Vms.add(vm);
            }
            return new Step.CreateVm(meta, vm, host, arch, type);
        }

        /** An x86 VM type: a name kept as written, or a number turned into its uapi name. */
        private static String x86VmType(JsonNode t, String field) {
            if (t.isTextual() && !t.textValue().isEmpty() && !isNumeric(t.textValue())) {
                return t.textValue();
            }
            if (!t.isTextual() && !t.isNumber()) {
                throw bad("'%s' must be a VM type name or a number, not %s", field, t);
            }
            long n = u64(t, field);
            return n >= 0 && n < X86_VM_TYPES.size() ? X86_VM_TYPES.get((int) n) : Long.toUnsignedString(n);
        }

        private static Step enableCap(ObjectNode o, int line, OpSpec spec) {
            String vm = id(o, "vm", null);
            JsonNode c = o.get("cap");
            if (!c.isTextual()) {
                throw bad("'cap' must be a capability name, not %s", c);
            }
            String cap = c.textValue();
            if (!CAP_ARGS.containsKey(cap)) {
                throw bad("unknown cap '%s' (known: %s)", cap, String.join(", ", CAP_ARGS.keySet()));
            }
            long flags = o.has("flags") ? flags(o.get("flags"), "flags", CAP_FLAGS, U32_MAX, null) : 0;
            List<Long> args = new ArrayList<>(List.of(0L, 0L, 0L, 0L));
            JsonNode a = o.get("args");
            if (a != null) {
                if (!a.isArray()) {
                    throw bad("'args' must be a list, not %s", a);
                }
                if (a.size() > 4) {
                    throw bad("'args' has %d entries, at most 4 allowed", a.size());
                }
                for (int i = 0; i < a.size(); i++) {
                    args.set(i, flags(a.get(i), "args[" + i + "]", CAP_ARGS.get(cap), U64_MAX, null));
                }
            }
            StepMeta meta = meta(o, line, "KVM_ENABLE_CAP", spec.expect());
            return new Step.EnableCap(meta, vm, cap, flags, List.copyOf(args));
        }

        private static Step ioctl(ObjectNode o, int line) {
            JsonNode n = o.get("name");
            if (!n.isTextual() || n.textValue().isEmpty()) {
                throw bad("'name' must be a non-empty string, not %s", n);
            }
            String kind = oneOf(o.get("fd_kind"), "fd_kind", List.of("system", "vm", "vcpu"));
            if (!kind.equals("system") && !o.has("vm")) {
                throw bad("missing field 'vm'");
            }
            if (kind.equals("vcpu") && !o.has("vcpu")) {
                throw bad("missing field 'vcpu'");
            }
            String vm = o.has("vm") ? id(o, "vm", null) : null;
            Long vcpu = o.has("vcpu") ? u64(o, "vcpu") : null;
            Long ret = o.has("ret") ? s64(o.get("ret"), "ret") : null;
            String errno = null;
            // kvmsim's extension of the IOCTL row: a failed call keeps its errno. Any E-name is
            // taken, since a recording may carry errnos that the model never returns.
            if (o.has("errno")) {
                JsonNode e = o.get("errno");
                if (!e.isTextual() || !ERRNO_NAME.matcher(e.textValue()).matches()) {
                    throw bad("'errno' must be an errno name such as \"EINVAL\", not %s", e);
                }
                if (ret != null && ret != -1) {
                    throw bad("'errno' goes with a failed call: 'ret' must be -1 or absent, not %d", ret);
                }
                errno = e.textValue();
            }
            return new Step.Ioctl(meta(o, line, "IOCTL", NO_EXPECT), n.textValue(), kind, vm, vcpu, ret, errno);
        }

        // ---- CHECK ----

        private Step check(ObjectNode o, int line) {
            List<String> keys = new ArrayList<>();
            Set<String> selectors = new LinkedHashSet<>();
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (f.equals("op") || f.equals("thread")) {
                    continue;
                }
                if (f.equals("expect")) {
                    throw bad("CHECK takes no expect");
                }
                if (SELECTORS.contains(f)) {
                    selectors.add(f);
                } else if (CHECK_KEYS.containsKey(f)) {
                    keys.add(f);
                } else {
                    throw bad("unknown field '%s' for CHECK", f);
                }
            }
            if (keys.isEmpty()) {
                throw bad("CHECK has no key to check (keys: %s)", String.join(", ", CHECK_KEYS.keySet()));
            }
            String vm = o.has("vm") ? id(o, "vm", null) : null;
            Long slot = o.has("slot") ? u32(o.get("slot"), "slot") : null;
            Long gpa = o.has("gpa") ? u64(o, "gpa") : null;
            Long vcpu = o.has("vcpu") ? u64(o, "vcpu") : null;
            String gpc = o.has("gpc") ? id(o, "gpc", null) : null;
            String host = o.has("host") ? id(o, "host", null) : null;
            Long pfn = o.has("pfn") ? u64(o, "pfn") : null;
            List<String> given = new ArrayList<>();
            for (String s : SELECTORS) {
                if (selectors.contains(s)) {
                    given.add(s);
                }
            }
            List<CheckItem> items = new ArrayList<>();
            String notModelled = null;
            for (String k : keys) {
                Set<String> needs = CHECK_KEYS.get(k);
                if (!needs.equals(selectors)) {
                    List<String> needed = new ArrayList<>();
                    for (String s : SELECTORS) {
                        if (needs.contains(s)) {
                            needed.add(s);
                        }
                    }
                    throw bad("CHECK '%s' needs %s (given: %s)", k,
                            needed.isEmpty() ? "no selector" : "selector " + String.join(", ", needed),
                            given.isEmpty() ? "none" : String.join(", ", given));
                }
                Object expected = checkValue(k, o.get(k));
                if (X86_ONLY_CHECK_KEYS.contains(k) && vm != null && arm64Vms.contains(vm) && !x86Vms.contains(vm)) {
                    if (notModelled == null) {
                        notModelled = "CHECK " + k + " on an arm64 VM is not modelled (kvmsim models the x86 MMU)";
                    }
                } else if (!MODELLED_CHECK_KEYS.contains(k)) {
                    if (notModelled == null) {
                        notModelled = "CHECK " + k + " is not modelled yet";
                    }
                } else {
                    items.add(new CheckItem(k, expected));
                }
            }
            StepMeta meta = meta(o, line, "CHECK", NO_EXPECT);
            if (host != null) {
                usePkvmHost(host, "CHECK " + String.join(", ", keys), line);
            }
            if (notModelled != null) {
                return new Step.NotModelled(meta, "CHECK", notModelled);
            }
            return new Step.Check(meta, vm, slot, gpa, vcpu, gpc, host, pfn, List.copyOf(items));
        }

        private static Object checkValue(String k, JsonNode v) {
            switch (k) {
                case "pending_ops":
                    return nameSet(v, k, PENDING_OPS, "pending op");
                case "caps":
                    return nameSet(v, k, List.copyOf(CAP_ARGS.keySet()), "cap");
                case "violations": {
                    Set<String> out = new LinkedHashSet<>();
                    for (JsonNode e : list(v, k)) {
                        if (!e.isTextual() || Invariant.byId(e.textValue()) == null) {
                            throw bad("unknown invariant %s in 'violations'", e);
                        }
                        out.add(e.textValue());
                    }
                    return Collections.unmodifiableSet(out);
                }
                case "locked":
                    if (v.isNull()) {
                        return null;
                    }
                    if (!v.isTextual() || !(v.textValue().equals("READ") || v.textValue().equals("WRITE"))) {
                        throw bad("'locked' must be null, READ or WRITE, not %s", v);
                    }
                    return v.textValue();
                case "dirty_logging":
                    if (!v.isBoolean()) {
                        throw bad("'dirty_logging' must be true or false, not %s", v);
                    }
                    return v.booleanValue();
                case "dirty_pages":
                    return u64List(v, k);
                case "page":
                    return boolObject(v, k, PAGE_PROPS);
                case "spte":
                    return boolObject(v, k, SPTE_PROPS);
                case "cache":
                    return boolObject(v, k, CACHE_PROPS);
                case "tlb":
                    if (v.isNull()) {
                        return null;
                    }
                    if (!v.isObject() || v.size() != 1 || !v.has("writable")) {
                        throw bad("'tlb' must be null or {\"writable\": true|false}, not %s", v);
                    }
                    return boolObject(v, k, List.of("writable"));
                case "owner":
                    return oneOf(v, k, List.of("host", "hyp", "guest"));
                default: // host_state, hyp_state
                    return oneOf(v, k, PAGE_STATES);
            }
        }
    }

    // ---- JSON ----

    private static ObjectNode readObject(String text) {
        JsonNode node;
        try (JsonParser p = JSON.getFactory().createParser(text)) {
            node = JSON.readTree(p);
            JsonToken extra;
            try {
                extra = p.nextToken();
            } catch (JsonProcessingException e) {
                throw bad("trailing characters after the JSON object");
            }
            if (extra != null) {
                throw bad("trailing characters after the JSON object");
            }
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            Matcher m = DUPLICATE.matcher(msg == null ? "" : msg);
            if (m.matches()) {
                throw bad("duplicate key '%s'", m.group(1));
            }
            String where = e.getLocation() == null ? "" : " (column " + e.getLocation().getColumnNr() + ")";
            throw bad("not JSON: %s%s", firstLine(msg), where);
        } catch (IOException e) {
            throw bad("not JSON: %s", e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw bad("not a JSON object: %s", node == null ? "" : abbreviate(node.toString()));
        }
        return (ObjectNode) node;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    // ---- values ----

    private static boolean isNumeric(String s) {
        return HEX.matcher(s).matches() || DEC.matcher(s).matches();
    }

    private static BigInteger integer(JsonNode v, String f) {
        if (v.isIntegralNumber()) {
            return v.bigIntegerValue();
        }
        if (v.isNumber()) {
            throw bad("'%s' must be an integer, not %s", f, v);
        }
        if (v.isTextual()) {
            String s = v.textValue();
            if (HEX.matcher(s).matches()) {
                return new BigInteger(s.substring(2), 16);
            }
            if (DEC.matcher(s).matches()) {
                return new BigInteger(s);
            }
        }
        throw bad("'%s' must be a number or a numeric string, not %s", f, v);
    }

    private static long unsigned(JsonNode v, String f, BigInteger max) {
        BigInteger b = integer(v, f);
        if (b.signum() < 0) {
            throw bad("'%s' must not be negative, not %s", f, b);
        }
        if (b.compareTo(max) > 0) {
            throw bad("'%s' is larger than %s", f, max.equals(U32_MAX) ? "2^32-1" : "2^64-1");
        }
        // u64 values above 2^63-1 are kept as the same 64 bits in a (negative) long
        return b.longValue();
    }

    private static long u64(JsonNode v, String f) {
        return unsigned(v, f, U64_MAX);
    }

    private static long u64(ObjectNode o, String f) {
        return u64(o.get(f), f);
    }

    private static long u32(JsonNode v, String f) {
        return unsigned(v, f, U32_MAX);
    }

    /** A signed return value, as an ioctl's int or a syscall's long. */
    private static long s64(JsonNode v, String f) {
        BigInteger b = integer(v, f);
        if (b.bitLength() > 63) {
            throw bad("'%s' does not fit a signed 64-bit integer", f);
        }
        return b.longValue();
    }

    private static List<Long> u64List(JsonNode v, String f) {
        List<Long> out = new ArrayList<>();
        int i = 0;
        for (JsonNode e : list(v, f)) {
            out.add(u64(e, f + "[" + i++ + "]"));
        }
        return List.copyOf(out);
    }

    private static JsonNode list(JsonNode v, String f) {
        if (!v.isArray()) {
            throw bad("'%s' must be a list, not %s", f, v);
        }
        return v;
    }

    /**
     * A flag set: a list of names, a number, or one name. Also used for enumerations that take a
     * name or a number (the ARM target), where {@code what} names the shape for messages.
     */
    private static long flags(JsonNode v, String f, Map<String, Long> names, BigInteger max, String what) {
        if (v.isArray() && what == null) {
            long bits = 0;
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw bad("'%s' entries must be flag names, not %s", f, e);
                }
                bits |= flagName(e.textValue(), f, names);
            }
            return bits;
        }
        if (v.isTextual() && !isNumeric(v.textValue())) {
            return flagName(v.textValue(), f, names);
        }
        if (v.isNumber() || v.isTextual()) {
            return unsigned(v, f, max);
        }
        throw bad("'%s' must be %s, not %s", f, what == null ? "a list of flag names or a number" : what
                + " or a number", v);
    }

    private static long flagName(String name, String f, Map<String, Long> names) {
        Long bits = names.get(name);
        if (bits == null) {
            throw bad("unknown name '%s' in '%s' (%s)", name, f,
                    names.isEmpty() ? "it takes numbers only" : "known: " + String.join(", ", names.keySet()));
        }
        return bits;
    }

    private static String id(ObjectNode o, String f, String dflt) {
        JsonNode v = o.get(f);
        if (v == null) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw bad("'%s' must be a string, not %s", f, v);
        }
        if (!ID.matcher(v.textValue()).matches()) {
            throw bad("'%s' must match [A-Za-z0-9_.-]{1,64}, not %s", f, v);
        }
        return v.textValue();
    }

    private static boolean bool(ObjectNode o, String f, boolean dflt) {
        JsonNode v = o.get(f);
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw bad("'%s' must be true or false, not %s", f, v);
        }
        return v.booleanValue();
    }

    private static Arch arch(JsonNode v) {
        Arch a = v.isTextual() ? Arch.byTraceName(v.textValue()) : null;
        if (a == null) {
            throw bad("'arch' must be arm64 or x86_64, not %s", v);
        }
        return a;
    }

    private static String oneOf(JsonNode v, String f, List<String> allowed) {
        if (!v.isTextual() || !allowed.contains(v.textValue())) {
            throw bad("'%s' must be one of %s, not %s", f, String.join(", ", allowed), v);
        }
        return v.textValue();
    }

    private static Set<String> nameSet(JsonNode v, String f, List<String> allowed, String what) {
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode e : list(v, f)) {
            if (!e.isTextual() || !allowed.contains(e.textValue())) {
                throw bad("unknown %s %s in '%s' (known: %s)", what, e, f, String.join(", ", allowed));
            }
            out.add(e.textValue());
        }
        return Collections.unmodifiableSet(out);
    }

    private static Map<String, Boolean> boolObject(JsonNode v, String f, List<String> props) {
        if (!v.isObject()) {
            throw bad("'%s' must be an object, not %s", f, v);
        }
        if (v.size() == 0) {
            throw bad("'%s' checks nothing: give some of %s", f, String.join(", ", props));
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!props.contains(e.getKey())) {
                throw bad("unknown property '%s' in '%s' (known: %s)", e.getKey(), f, String.join(", ", props));
            }
            if (!e.getValue().isBoolean()) {
                throw bad("'%s.%s' must be true or false, not %s", f, e.getKey(), e.getValue());
            }
            out.put(e.getKey(), e.getValue().booleanValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private static Map<String, Long> names(Object... kv) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Long) kv[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }
}
