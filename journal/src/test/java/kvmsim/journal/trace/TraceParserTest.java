package kvmsim.journal.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.host.Access;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.host.Hvc;
import kvmsim.domain.trace.CheckItem;
import kvmsim.domain.trace.CheckKey;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.NotModelled;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vcpu.GuestVia;
import kvmsim.domain.trace.Trace;
import kvmsim.domain.vcpu.GuestAccessKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceParserTest {

    private static final String VM = "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm0\",\"arch\":\"arm64\"}";
    private static final String X86_VM = "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm0\",\"arch\":\"x86_64\"}";
    private static final String PKVM_HOST = "{\"op\":\"HOST\",\"arch\":\"arm64\",\"features\":{\"pkvm\":true}}";

    private static Trace parse(String... lines) throws TraceFormatException {
        return TraceParser.parse("t.jsonl", new StringReader(String.join("\n", lines)));
    }

    private static String error(String... lines) {
        return assertThrows(TraceFormatException.class, () -> parse(lines)).getMessage();
    }

    /** The only step of a one-line trace that needs no implicit host, or the last step. */
    /** Why the model does not cover the last line, which must be the trace's one step it does not cover. */
    private static String notModelled(String... lines) throws TraceFormatException {
        Trace t = parse(lines);
        assertEquals(1, t.notModelled().size(), t.notModelled().toString());
        assertEquals(lines.length, t.notModelled().get(0).line());
        return t.notModelled().get(0).reason();
    }

    private static Step last(String... lines) throws TraceFormatException {
        List<Step> steps = parse(lines).steps();
        return steps.get(steps.size() - 1);
    }

    private static String slot(String fields) {
        return "{\"op\":\"KVM_SET_USER_MEMORY_REGION\",\"vm\":\"vm0\",\"guest_phys_addr\":0,"
                + "\"memory_size\":4096,\"userspace_addr\":4096," + fields + "}";
    }

    // ---- lines ----

    @Test
    void commentsAndBlankLinesAreSkippedAndLinesKeepTheirNumbers() throws Exception {
        Trace t = parse("# a comment", "", "   ", "  # indented comment", VM,
                "{\"op\":\"KVM_CREATE_VCPU\",\"vm\":\"vm0\",\"vcpu\":0}");
        assertEquals(3, t.steps().size()); // implicit host, VM, vCPU
        assertEquals(5, t.steps().get(1).line());
        assertEquals(6, t.steps().get(2).line());
        assertEquals("t.jsonl:9: unknown op 'KVM_FOO'",
                error("# c", "", VM, "", "# d", "{\"op\":\"KVM_CREATE_VCPU\",\"vm\":\"vm0\",\"vcpu\":0}", "", "",
                        "{\"op\":\"KVM_FOO\"}"));
    }

    @Test
    void crlfLineEndingsAreAccepted() throws Exception {
        Trace t = TraceParser.parse("t", new StringReader(VM + "\r\n# x\r\n" + VM.replace("vm0", "vm1") + "\r\n"));
        assertEquals(3, t.steps().get(2).line());
    }

    @Test
    void onlyTheFirstErrorIsReported() {
        assertEquals("t.jsonl:2: unknown op 'A'", error(VM, "{\"op\":\"A\"}", "{\"op\":\"B\"}"));
    }

    @Test
    void notJson() {
        assertTrue(error("{\"op\":").startsWith("t.jsonl:1: not JSON: "), error("{\"op\":"));
        assertTrue(error("hello").startsWith("t.jsonl:1: not JSON: "));
    }

    @Test
    void notAnObject() {
        assertEquals("t.jsonl:1: not a JSON object: [1,2]", error("[1,2]"));
    }

    @Test
    void trailingGarbageAfterTheObject() {
        assertEquals("t.jsonl:1: trailing characters after the JSON object", error(VM + " x"));
        assertEquals("t.jsonl:1: trailing characters after the JSON object", error(VM + VM));
    }

    @Test
    void duplicateKey() {
        assertEquals("t.jsonl:1: duplicate key 'vm'",
                error("{\"op\":\"KVM_CREATE_VM\",\"vm\":\"a\",\"vm\":\"b\",\"arch\":\"arm64\"}"));
        assertEquals("t.jsonl:2: duplicate key 'ret'",
                error(VM, "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0,\"expect\":{\"ret\":0,\"ret\":1}}"));
    }

    @Test
    void missingAndMisspeltOp() {
        assertEquals("t.jsonl:1: missing field 'op'", error("{\"vm\":\"vm0\"}"));
        assertEquals("t.jsonl:1: unknown op 'KVM_CREAT_VM'", error("{\"op\":\"KVM_CREAT_VM\",\"vm\":\"vm0\"}"));
        assertEquals("t.jsonl:1: 'op' must be a string, not 3", error("{\"op\":3}"));
    }

    @Test
    void missingRequiredField() {
        assertEquals("t.jsonl:1: missing field 'vm'", error("{\"op\":\"KVM_RUN\",\"vcpu\":0}"));
        assertEquals("t.jsonl:2: missing field 'memory_size'", error(VM,
                "{\"op\":\"KVM_SET_USER_MEMORY_REGION\",\"vm\":\"vm0\",\"slot\":0,\"guest_phys_addr\":0,"
                        + "\"userspace_addr\":0}"));
    }

    @Test
    void unknownField() {
        assertEquals("t.jsonl:2: unknown field 'slto' for KVM_SET_USER_MEMORY_REGION",
                error(VM, slot("\"slto\":0")));
        // host belongs to the VM's creation, not to its later steps
        assertEquals("t.jsonl:2: unknown field 'host' for KVM_RUN",
                error(VM, "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0,\"host\":\"host0\"}"));
    }

    @Test
    void idsFollowThePattern() throws Exception {
        assertEquals("t.jsonl:1: 'vm' must match [A-Za-z0-9_.-]{1,64}, not \"vm 0\"",
                error("{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm 0\",\"arch\":\"arm64\"}"));
        assertEquals("t.jsonl:1: 'vm' must be a string, not 0",
                error("{\"op\":\"KVM_CREATE_VM\",\"vm\":0,\"arch\":\"arm64\"}"));
        String max = "a".repeat(64);
        assertEquals(max, ((Step.CreateVm) last("{\"op\":\"KVM_CREATE_VM\",\"vm\":\"" + max
                + "\",\"arch\":\"arm64\"}")).vm());
        assertTrue(error("{\"op\":\"KVM_CREATE_VM\",\"vm\":\"" + max + "a\",\"arch\":\"arm64\"}")
                .contains("must match"));
    }

    @Test
    void threadDefaultsToMainAndMustBeNonEmpty() throws Exception {
        assertEquals("main", last(VM).meta().thread());
        assertEquals("vcpu0", last(VM, "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0,\"thread\":\"vcpu0\"}")
                .meta().thread());
        assertEquals("t.jsonl:2: 'thread' must be a non-empty string, not \"\"",
                error(VM, "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0,\"thread\":\"\"}"));
    }

    // ---- numbers ----

    @Test
    void numbersAreIntegersOrDecimalOrHexStrings() throws Exception {
        Step.SetUserMemoryRegion s = (Step.SetUserMemoryRegion) last(VM,
                "{\"op\":\"KVM_SET_USER_MEMORY_REGION\",\"vm\":\"vm0\",\"slot\":\"3\",\"guest_phys_addr\":\"0x1f000\","
                        + "\"memory_size\":8192,\"userspace_addr\":\"0X7F0000000000\"}");
        assertEquals(3, s.slot());
        assertEquals(0x1f000, s.guestPhysAddr());
        assertEquals(8192, s.memorySize());
        assertEquals(0x7f0000000000L, s.userspaceAddr());
        assertEquals(0, s.flags());
    }

    @Test
    void u64MaxIsAcceptedAndKeptAsItsBits() throws Exception {
        Step.Mmap m = (Step.Mmap) last("{\"op\":\"MMAP\",\"hva\":18446744073709551615,\"length\":\"0xffffffffffffffff\"}");
        assertEquals(-1L, m.hva());
        assertEquals(-1L, m.length());
        Step.Mmap big = (Step.Mmap) last("{\"op\":\"MMAP\",\"hva\":9223372036854775808,\"length\":1}");
        assertEquals(Long.MIN_VALUE, big.hva());
    }

    @Test
    void u64OutOfRangeIsRejected() {
        assertEquals("t.jsonl:1: 'hva' is larger than 2^64-1",
                error("{\"op\":\"MMAP\",\"hva\":18446744073709551616,\"length\":1}"));
        assertEquals("t.jsonl:1: 'hva' is larger than 2^64-1",
                error("{\"op\":\"MMAP\",\"hva\":\"0x10000000000000000\",\"length\":1}"));
        assertEquals("t.jsonl:1: 'hva' must not be negative, not -1", error("{\"op\":\"MMAP\",\"hva\":-1,\"length\":1}"));
        assertEquals("t.jsonl:1: 'hva' must not be negative, not -1",
                error("{\"op\":\"MMAP\",\"hva\":\"-1\",\"length\":1}"));
    }

    @Test
    void u32FieldsRejectTwoToThe32() throws Exception {
        assertEquals("t.jsonl:2: 'slot' is larger than 2^32-1", error(VM, slot("\"slot\":4294967296")));
        assertEquals(0xFFFF_FFFFL, ((Step.SetUserMemoryRegion) last(VM, slot("\"slot\":4294967295"))).slot());
        assertEquals("t.jsonl:2: 'flags' is larger than 2^32-1",
                error(VM, slot("\"slot\":0,\"flags\":\"0x100000000\"")));
        assertEquals("t.jsonl:2: 'flags' is larger than 2^32-1", error(VM,
                "{\"op\":\"KVM_ENABLE_CAP\",\"vm\":\"vm0\",\"cap\":\"KVM_CAP_ARM_MTE\",\"flags\":4294967296}"));
    }

    @Test
    void vcpuIsAU64SoTwoToThe32Parses() throws Exception {
        Step.CreateVcpu c = (Step.CreateVcpu) last(VM,
                "{\"op\":\"KVM_CREATE_VCPU\",\"vm\":\"vm0\",\"vcpu\":4294967296}");
        assertEquals(1L << 32, c.vcpu());
    }

    @Test
    void nonNumbersAndFractionsAreRejected() {
        assertEquals("t.jsonl:2: 'memory_size' must be a number or a numeric string, not true", error(VM,
                "{\"op\":\"KVM_SET_USER_MEMORY_REGION\",\"vm\":\"vm0\",\"slot\":0,\"guest_phys_addr\":0,"
                        + "\"memory_size\":true,\"userspace_addr\":0}"));
        assertEquals("t.jsonl:1: 'hva' must be an integer, not 1.5", error("{\"op\":\"MMAP\",\"hva\":1.5,\"length\":1}"));
        assertEquals("t.jsonl:1: 'hva' must be a number or a numeric string, not \"0x\"",
                error("{\"op\":\"MMAP\",\"hva\":\"0x\",\"length\":1}"));
        assertEquals("t.jsonl:1: 'hva' must be a number or a numeric string, not \"1.5\"",
                error("{\"op\":\"MMAP\",\"hva\":\"1.5\",\"length\":1}"));
    }

    // ---- flag sets ----

    @Test
    void memslotFlagsAsListNumberOrSingleName() throws Exception {
        assertEquals(3, ((Step.SetUserMemoryRegion) last(VM,
                slot("\"slot\":0,\"flags\":[\"KVM_MEM_LOG_DIRTY_PAGES\",\"KVM_MEM_READONLY\"]"))).flags());
        assertEquals(6, ((Step.SetUserMemoryRegion) last(VM, slot("\"slot\":0,\"flags\":\"0x6\""))).flags());
        assertEquals(2, ((Step.SetUserMemoryRegion) last(VM, slot("\"slot\":0,\"flags\":\"KVM_MEM_READONLY\""))).flags());
        assertEquals(4, ((Step.SetUserMemoryRegion) last(VM, slot("\"slot\":0,\"flags\":[\"KVM_MEM_GUEST_MEMFD\"]"))).flags());
        assertEquals(0, ((Step.SetUserMemoryRegion) last(VM, slot("\"slot\":0,\"flags\":[]"))).flags());
    }

    @Test
    void unknownFlagNameIsNamed() {
        String e = error(VM, slot("\"slot\":0,\"flags\":[\"KVM_MEM_LOG_DIRTY\"]"));
        assertTrue(e.startsWith("t.jsonl:2: unknown name 'KVM_MEM_LOG_DIRTY' in 'flags' (known: KVM_MEM_LOG_DIRTY_PAGES"), e);
        assertEquals("t.jsonl:2: 'flags' entries must be flag names, not 1", error(VM, slot("\"slot\":0,\"flags\":[1]")));
    }

    @Test
    void enableCapLockWithNamedFlagsAndArgsPaddedToFour() throws Exception {
        Step.EnableCap c = (Step.EnableCap) last(VM, "{\"op\":\"KVM_ENABLE_CAP\",\"vm\":\"vm0\","
                + "\"cap\":\"KVM_CAP_ARM_LOCK_USER_MEMORY_REGION\","
                + "\"flags\":[\"KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_LOCK\"],"
                + "\"args\":[0,[\"KVM_ARM_LOCK_MEM_READ\",\"KVM_ARM_LOCK_MEM_WRITE\"]],\"expect\":{\"ret\":0}}");
        assertEquals(kvmsim.domain.abi.Cap.KVM_CAP_ARM_LOCK_USER_MEMORY_REGION, c.cap());
        assertEquals(1, c.flags());
        assertEquals(List.of(0L, 3L, 0L, 0L), c.args());
        assertEquals(0L, c.meta().expect().ret());
        Step.EnableCap u = (Step.EnableCap) last(VM, "{\"op\":\"KVM_ENABLE_CAP\",\"vm\":\"vm0\","
                + "\"cap\":\"KVM_CAP_ARM_LOCK_USER_MEMORY_REGION\","
                + "\"flags\":\"KVM_ARM_LOCK_USER_MEMORY_REGION_FLAGS_UNLOCK\",\"args\":[2,\"KVM_ARM_UNLOCK_MEM_ALL\"]}");
        assertEquals(2, u.flags());
        assertEquals(List.of(2L, 1L, 0L, 0L), u.args());
    }

    @Test
    void enableCapMteWithDefaults() throws Exception {
        Step.EnableCap c = (Step.EnableCap) last(VM,
                "{\"op\":\"KVM_ENABLE_CAP\",\"vm\":\"vm0\",\"cap\":\"KVM_CAP_ARM_MTE\"}");
        assertEquals(0, c.flags());
        assertEquals(List.of(0L, 0L, 0L, 0L), c.args());
        assertEquals(Expect.NONE, c.meta().expect());
    }

    @Test
    void enableCapArgsLimitsAndNames() {
        assertEquals("t.jsonl:2: 'args' has 5 entries, at most 4 allowed", error(VM,
                "{\"op\":\"KVM_ENABLE_CAP\",\"vm\":\"vm0\",\"cap\":\"KVM_CAP_ARM_MTE\",\"args\":[0,0,0,0,0]}"));
        assertEquals("t.jsonl:2: unknown name 'KVM_ARM_LOCK_MEM_READ' in 'args[0]' (it takes numbers only)", error(VM,
                "{\"op\":\"KVM_ENABLE_CAP\",\"vm\":\"vm0\",\"cap\":\"KVM_CAP_ARM_MTE\",\"args\":[\"KVM_ARM_LOCK_MEM_READ\"]}"));
        assertTrue(error(VM, "{\"op\":\"KVM_ENABLE_CAP\",\"vm\":\"vm0\",\"cap\":\"KVM_CAP_ARM_MTEE\"}")
                .startsWith("t.jsonl:2: unknown cap 'KVM_CAP_ARM_MTEE' (known: "));
    }

    @Test
    void armVcpuInitTargetAndFeatures() throws Exception {
        Step.ArmVcpuInit i = (Step.ArmVcpuInit) last(VM, "{\"op\":\"KVM_ARM_VCPU_INIT\",\"vm\":\"vm0\",\"vcpu\":1,"
                + "\"target\":\"KVM_ARM_TARGET_GENERIC_V8\",\"features\":[\"KVM_ARM_VCPU_PSCI_0_2\",\"KVM_ARM_VCPU_HAS_EL2\"]}");
        assertEquals(1, i.vcpu());
        assertEquals(5L, i.target());
        assertEquals((1L << 2) | (1L << 7), i.features());
        Step.ArmVcpuInit d = (Step.ArmVcpuInit) last(VM, "{\"op\":\"KVM_ARM_VCPU_INIT\",\"vm\":\"vm0\",\"vcpu\":0}");
        assertNull(d.target());
        assertEquals(0, d.features());
        assertEquals(2L, ((Step.ArmVcpuInit) last(VM,
                "{\"op\":\"KVM_ARM_VCPU_INIT\",\"vm\":\"vm0\",\"vcpu\":0,\"target\":2}")).target());
        assertTrue(error(VM, "{\"op\":\"KVM_ARM_VCPU_INIT\",\"vm\":\"vm0\",\"vcpu\":0,\"target\":\"CORTEX_A57\"}")
                .startsWith("t.jsonl:2: unknown name 'CORTEX_A57' in 'target'"));
    }

    // ---- expect ----

    @Test
    void expectRetAndErrno() throws Exception {
        Expect e = last(VM, "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0,\"expect\":{\"ret\":-1,\"errno\":\"ENOEXEC\"}}")
                .meta().expect();
        assertEquals(-1L, e.ret());
        assertEquals("ENOEXEC", e.errno());
        assertEquals("t.jsonl:2: unknown errno 'EFOO'",
                error(VM, "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0,\"expect\":{\"errno\":\"EFOO\"}}"));
    }

    @Test
    void unknownExpectKey() {
        assertEquals("t.jsonl:2: unknown expect key 'ertno'",
                error(VM, "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0,\"expect\":{\"ertno\":\"EINVAL\"}}"));
    }

    @Test
    void expectKeyOfAnotherOp() {
        assertEquals("t.jsonl:2: expect key 'exit' does not apply to KVM_CREATE_VCPU",
                error(VM, "{\"op\":\"KVM_CREATE_VCPU\",\"vm\":\"vm0\",\"vcpu\":0,\"expect\":{\"exit\":\"NONE\"}}"));
        assertEquals("t.jsonl:2: expect key 'harvested' does not apply to KVM_GET_DIRTY_LOG",
                error(VM, "{\"op\":\"KVM_GET_DIRTY_LOG\",\"vm\":\"vm0\",\"slot\":0,\"expect\":{\"harvested\":[]}}"));
        assertEquals("t.jsonl:1: expect key 'dirty_pages' does not apply to MMAP",
                error("{\"op\":\"MMAP\",\"hva\":0,\"length\":4096,\"expect\":{\"dirty_pages\":[]}}"));
    }

    @Test
    void harvestedIsAListOfSlotOffsetPairs() {
        String h = "{\"op\":\"DIRTY_RING_HARVEST\",\"vm\":\"vm0\",\"vcpu\":0,\"expect\":{\"harvested\":%s}}";
        assertEquals("t.jsonl:2: 'harvested' must be a list of [slot, offset] pairs, not [[0]]",
                error(VM, String.format(h, "[[0]]")));
        assertEquals("t.jsonl:2: 'harvested' must be a list of [slot, offset] pairs, not {}",
                error(VM, String.format(h, "{}")));
    }

    @Test
    void opsWithoutExpectRefuseOne() {
        assertEquals("t.jsonl:1: POLICY takes no expect", error("{\"op\":\"POLICY\",\"expect\":{}}"));
        assertEquals("t.jsonl:1: CHECK takes no expect", error("{\"op\":\"CHECK\",\"violations\":[],\"expect\":{}}"));
        assertEquals("t.jsonl:1: HOST takes no expect", error("{\"op\":\"HOST\",\"arch\":\"arm64\",\"expect\":{}}"));
        assertEquals("t.jsonl:2: MMU_NOTIFIER_INVALIDATE takes no expect", error(VM,
                "{\"op\":\"MMU_NOTIFIER_INVALIDATE\",\"vm\":\"vm0\",\"gpa\":0,\"length\":4096,\"expect\":{\"ret\":0}}"));
        assertEquals("t.jsonl:1: IOCTL takes no expect",
                error("{\"op\":\"IOCTL\",\"name\":\"KVM_X\",\"fd_kind\":\"system\",\"expect\":{\"ret\":0}}"));
    }

    @Test
    void guestExpectExitAndTlb() throws Exception {
        Expect e = last(VM, "{\"op\":\"GUEST_WRITE\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":\"0x5000\","
                + "\"expect\":{\"ret\":0,\"exit\":\"KVM_EXIT_MMIO\",\"tlb\":\"miss\"}}").meta().expect();
        assertEquals(new Expect(0L, null, "KVM_EXIT_MMIO", "miss", null, null), e);
        assertEquals("t.jsonl:2: 'tlb' must be one of hit, miss, not \"hot\"", error(VM,
                "{\"op\":\"GUEST_READ\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":0,\"expect\":{\"tlb\":\"hot\"}}"));
    }

    @Test
    void dirtyPagesAndResultExpectations() throws Exception {
        Step.GetDirtyLog d = (Step.GetDirtyLog) last(X86_VM,
                "{\"op\":\"KVM_GET_DIRTY_LOG\",\"vm\":\"vm0\",\"slot\":0,\"expect\":{\"dirty_pages\":[5,\"0x6\"]}}");
        assertEquals(List.of(5L, 6L), d.meta().expect().dirtyPages());
        String arm = notModelled(VM,
                "{\"op\":\"KVM_GET_DIRTY_LOG\",\"vm\":\"vm0\",\"slot\":0}");
        assertEquals("KVM_GET_DIRTY_LOG on an arm64 VM is not modelled (arm64 dirty logging)", arm);
        Step.HostMemAbort a = (Step.HostMemAbort) last(PKVM_HOST,
                "{\"op\":\"HOST_MEM_ABORT\",\"pfn\":1,\"access\":\"write\",\"expect\":{\"result\":\"denied\"}}");
        assertEquals("denied", a.meta().expect().result());
        assertEquals(List.of(1L, Access.WRITE), List.of(a.pfn(), a.access()));
        assertEquals("t.jsonl:1: expect key 'ret' does not apply to HOST_MEM_ABORT",
                error("{\"op\":\"HOST_MEM_ABORT\",\"pfn\":1,\"access\":\"read\",\"expect\":{\"ret\":0}}"));
        assertEquals("t.jsonl:2: 'result' must be one of mapped, denied, not \"refused\"",
                error(PKVM_HOST, "{\"op\":\"HOST_MEM_ABORT\",\"pfn\":1,\"access\":\"read\","
                        + "\"expect\":{\"result\":\"refused\"}}"));
    }

    // ---- POLICY ----

    @Test
    void policyFirst() throws Exception {
        Trace t = parse("# seed", "{\"op\":\"POLICY\",\"dirty-log-flush\":\"if-modified\",\"pkvm-owner-bits\":32}", VM);
        Step.Policy p = assertInstanceOf(Step.Policy.class, t.steps().get(0));
        assertEquals(Map.of("dirty-log-flush", "if-modified", "pkvm-owner-bits", "32"), p.values());
        assertEquals(p.values(), t.policy());
    }

    @Test
    void policyNotFirstOrTwiceIsAnError() {
        assertEquals("t.jsonl:3: POLICY must be the first step of the trace (the first is at line 2)",
                error("# c", VM, "{\"op\":\"POLICY\"}"));
        assertEquals("t.jsonl:2: POLICY given twice (first at line 1)", error("{\"op\":\"POLICY\"}", "{\"op\":\"POLICY\"}"));
    }

    @Test
    void policyValuesAreValidated() {
        assertTrue(error("{\"op\":\"POLICY\",\"dirty-log-flsh\":\"if-modified\"}")
                .startsWith("t.jsonl:1: unknown policy 'dirty-log-flsh'"));
        assertEquals("t.jsonl:1: policy dirty-log-flush takes unconditional or if-modified, not 'never'",
                error("{\"op\":\"POLICY\",\"dirty-log-flush\":\"never\"}"));
    }

    // ---- HOST and implicit hosts ----

    @Test
    void hostWithFeatureOverrides() throws Exception {
        Step.HostDecl h = (Step.HostDecl) parse("{\"op\":\"HOST\",\"host\":\"h1\",\"arch\":\"x86_64\","
                + "\"features\":{\"ad_bits\":false,\"vm_types\":[\"KVM_X86_DEFAULT_VM\"],"
                + "\"gmem_flags\":[\"GUEST_MEMFD_FLAG_MMAP\"],\"memory\":\"0x100000000\"}}").steps().get(0);
        assertEquals("h1", h.host());
        assertEquals(Arch.X86_64, h.arch());
        assertFalse(h.implicit());
        assertFalse(h.features().adBits());
        assertTrue(h.features().smm());
        assertEquals(List.of("KVM_X86_DEFAULT_VM"), h.features().vmTypes());
        assertEquals(List.of("GUEST_MEMFD_FLAG_MMAP"), h.features().gmemFlags());
        assertEquals(1L << 32, h.features().memory());
        Step.HostDecl a = (Step.HostDecl) parse("{\"op\":\"HOST\",\"arch\":\"arm64\",\"features\":{\"pkvm\":true}}")
                .steps().get(0);
        assertEquals("host0", a.host());
        assertTrue(a.features().pkvm());
        assertTrue(a.features().mte());
    }

    @Test
    void hostFeaturesDependOnArch() {
        assertEquals("t.jsonl:1: unknown feature 'ad_bits' for an arm64 host",
                error("{\"op\":\"HOST\",\"arch\":\"arm64\",\"features\":{\"ad_bits\":false}}"));
        assertEquals("t.jsonl:1: unknown feature 'mte' for an x86_64 host",
                error("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"mte\":false}}"));
        assertEquals("t.jsonl:1: feature 'mte' must be true or false, not 1",
                error("{\"op\":\"HOST\",\"arch\":\"arm64\",\"features\":{\"mte\":1}}"));
        assertEquals("t.jsonl:1: 'arch' must be arm64 or x86_64, not \"arm\"", error("{\"op\":\"HOST\",\"arch\":\"arm\"}"));
        assertTrue(error("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"gmem_flags\":[\"FOO\"]}}")
                .startsWith("t.jsonl:1: unknown guest_memfd flag \"FOO\" in 'gmem_flags'"));
    }

    @Test
    void mmuIsTdpByDefaultOrShadowAndNothingElse() throws Exception {
        Step.HostDecl h = (Step.HostDecl) parse("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"mmu\":\"shadow\"}}")
                .steps().get(0);
        assertEquals(kvmsim.domain.host.MmuMode.SHADOW, h.features().mmu());
        assertEquals(kvmsim.domain.host.MmuMode.TDP, HostFeatures.defaults(Arch.X86_64).mmu());
        assertEquals("t.jsonl:1: feature 'mmu' must be one of \"tdp\", \"shadow\", not \"ept\"",
                error("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"mmu\":\"ept\"}}"));
        assertEquals("t.jsonl:1: feature 'mmu' must be one of \"tdp\", \"shadow\", not true",
                error("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"mmu\":true}}"));
        assertEquals("t.jsonl:1: feature 'ad_bits' false needs 'mmu' \"tdp\": shadow paging always has A/D bits",
                error("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"ad_bits\":false,\"mmu\":\"shadow\"}}"));
        assertEquals("t.jsonl:1: unknown feature 'mmu' for an arm64 host",
                error("{\"op\":\"HOST\",\"arch\":\"arm64\",\"features\":{\"mmu\":\"shadow\"}}"));
    }

    @Test
    void guestStepsGiveBothGpteBitsOrNone() throws Exception {
        String access = "{\"op\":\"GUEST_READ\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":\"0x1000\"";
        Step.GuestAccess clean = (Step.GuestAccess) parse(X86_VM,
                access + ",\"gpte\":{\"dirty\":false,\"writable\":true}}").steps().get(2);
        assertEquals(new kvmsim.domain.vcpu.GuestPte(true, false), clean.gpte());
        Step.GuestAccess none = (Step.GuestAccess) parse(X86_VM, access + "}").steps().get(2);
        assertEquals(kvmsim.domain.vcpu.GuestPte.WRITABLE_DIRTY, none.gpte());
        assertEquals("t.jsonl:1: 'gpte' must give both writable and dirty",
                error(access + ",\"gpte\":{\"dirty\":true}}"));
        assertEquals("t.jsonl:1: 'gpte.writable' must be true or false, not 1",
                error(access + ",\"gpte\":{\"writable\":1,\"dirty\":true}}"));
        assertTrue(error(access + ",\"gpte\":{\"writable\":true,\"dirty\":true,\"accessed\":true}}")
                .startsWith("t.jsonl:1: unknown property 'accessed' in 'gpte'"));
    }

    @Test
    void hostAfterItsFirstUseIsAnError() {
        assertEquals("t.jsonl:3: HOST host0 comes after its first use at line 2",
                error("# c", "{\"op\":\"MMAP\",\"hva\":0,\"length\":4096}", "{\"op\":\"HOST\",\"arch\":\"arm64\"}"));
        assertEquals("t.jsonl:2: HOST h1 comes after its first use at line 1",
                error("{\"op\":\"KVM_CREATE_VM\",\"vm\":\"v\",\"arch\":\"arm64\",\"host\":\"h1\"}",
                        "{\"op\":\"HOST\",\"host\":\"h1\",\"arch\":\"arm64\"}"));
        assertEquals("t.jsonl:2: HOST host0 was already declared at line 1",
                error("{\"op\":\"HOST\",\"arch\":\"arm64\"}", "{\"op\":\"HOST\",\"arch\":\"arm64\"}"));
    }

    @Test
    void implicitHostTakesTheArchOfItsFirstVmAndGoesBeforeItsFirstUse() throws Exception {
        Trace t = parse("# c", "{\"op\":\"MMAP\",\"hva\":0,\"length\":4096,\"shared\":true}", X86_VM,
                "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm1\",\"arch\":\"arm64\"}");
        assertEquals(4, t.steps().size());
        Step.HostDecl h = assertInstanceOf(Step.HostDecl.class, t.steps().get(0));
        assertTrue(h.implicit());
        assertEquals("host0", h.host());
        assertEquals(Arch.X86_64, h.arch());
        assertEquals(HostFeatures.defaults(Arch.X86_64), h.features());
        assertEquals(2, h.line());
        assertEquals("main", h.meta().thread());
        assertEquals(Expect.NONE, h.meta().expect());
        assertInstanceOf(Step.Mmap.class, t.steps().get(1));
    }

    @Test
    void implicitHostWithoutVmIsArm64AndEachHostGetsOne() throws Exception {
        Trace t = parse("{\"op\":\"SET_RLIMIT_MEMLOCK\",\"host\":\"h1\",\"bytes\":4096}",
                "{\"op\":\"HOST\",\"host\":\"h2\",\"arch\":\"x86_64\"}",
                "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"a\",\"arch\":\"x86_64\",\"host\":\"h2\"}",
                "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"b\",\"arch\":\"x86_64\",\"host\":\"h3\"}");
        List<String> ops = t.steps().stream().map(s -> s.op() + "@" + s.line()).toList();
        assertEquals(List.of("HOST@1", "SET_RLIMIT_MEMLOCK@1", "HOST@2", "KVM_CREATE_VM@3", "HOST@4",
                "KVM_CREATE_VM@4"), ops);
        assertEquals(Arch.ARM64, ((Step.HostDecl) t.steps().get(0)).arch());
        assertFalse(((Step.HostDecl) t.steps().get(2)).implicit());
        Step.HostDecl h3 = (Step.HostDecl) t.steps().get(4);
        assertEquals("h3", h3.host());
        assertEquals(Arch.X86_64, h3.arch());
    }

    // ---- modelled steps ----

    @Test
    void mmapMunmapRlimitUserspaceWrite() throws Exception {
        Trace t = parse("{\"op\":\"MMAP\",\"hva\":\"0x7f0000000000\",\"length\":\"0x10000\",\"prot_mte\":true}",
                "{\"op\":\"MUNMAP\",\"hva\":\"0x7f0000000000\",\"length\":4096,\"expect\":{\"errno\":\"EINVAL\"}}",
                "{\"op\":\"SET_RLIMIT_MEMLOCK\",\"bytes\":65536}", VM,
                "{\"op\":\"USERSPACE_WRITE\",\"vm\":\"vm0\",\"gpa\":4096,\"length\":8192}");
        assertEquals(new Step.Mmap(t.steps().get(1).meta(), "host0", 0x7f0000000000L, 0x10000, false, true),
                t.steps().get(1));
        Step.Munmap u = (Step.Munmap) t.steps().get(2);
        assertEquals(4096, u.length());
        assertEquals("EINVAL", u.meta().expect().errno());
        assertEquals(65536, ((Step.SetRlimitMemlock) t.steps().get(3)).bytes());
        Step.UserspaceWrite w = (Step.UserspaceWrite) t.steps().get(5);
        assertEquals("vm0", w.vm());
        assertEquals(4096, w.gpa());
        assertEquals(8192, w.length());
        assertEquals("t.jsonl:1: 'shared' must be true or false, not 1",
                error("{\"op\":\"MMAP\",\"hva\":0,\"length\":1,\"shared\":1}"));
    }

    @Test
    void createVmTypes() throws Exception {
        Step.CreateVm arm = (Step.CreateVm) last(VM);
        assertEquals(Arch.ARM64, arm.arch());
        assertNull(arm.type());
        assertEquals("host0", arm.host());
        assertEquals("KVM_X86_DEFAULT_VM", ((Step.CreateVm) last(X86_VM)).type());
        assertEquals("KVM_X86_SW_PROTECTED_VM", ((Step.CreateVm) last(
                "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"v\",\"arch\":\"x86_64\",\"type\":1}")).type());
        assertEquals("KVM_X86_SNP_VM", ((Step.CreateVm) last(
                "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"v\",\"arch\":\"x86_64\",\"type\":\"KVM_X86_SNP_VM\"}")).type());
        assertEquals("40", ((Step.CreateVm) last(
                "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"v\",\"arch\":\"arm64\",\"type\":\"0x28\"}")).type());
        assertEquals("t.jsonl:1: missing field 'arch'", error("{\"op\":\"KVM_CREATE_VM\",\"vm\":\"v\"}"));
    }

    @Test
    void vcpuRunAndGuestAccessOnArm64() throws Exception {
        Trace t = parse(VM, "{\"op\":\"KVM_CREATE_VCPU\",\"vm\":\"vm0\",\"vcpu\":0,\"expect\":{\"ret\":0}}",
                "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0}",
                "{\"op\":\"GUEST_READ\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":1}",
                "{\"op\":\"GUEST_WRITE\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":2}",
                "{\"op\":\"GUEST_EXEC\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":3,\"thread\":\"t1\"}");
        assertEquals(0L, ((Step.CreateVcpu) t.steps().get(2)).meta().expect().ret());
        assertEquals(0, ((Step.Run) t.steps().get(3)).vcpu());
        assertEquals(new Step.GuestAccess(t.steps().get(4).meta(), "vm0", 0, GuestAccessKind.READ, 1), t.steps().get(4));
        assertEquals(GuestAccessKind.WRITE, ((Step.GuestAccess) t.steps().get(5)).kind());
        Step.GuestAccess x = (Step.GuestAccess) t.steps().get(6);
        assertEquals(GuestAccessKind.EXEC, x.kind());
        assertEquals("GUEST_EXEC", x.op());
        assertEquals("t1", x.meta().thread());
        assertTrue(t.notModelled().isEmpty());
    }

    @Test
    void guestStepOnAVmNeverCreatedIsModelled() throws Exception {
        assertInstanceOf(Step.GuestAccess.class, last("{\"op\":\"GUEST_READ\",\"vm\":\"ghost\",\"vcpu\":0,\"gpa\":0}"));
    }

    @Test
    void setUserMemoryRegionValid() throws Exception {
        Step.SetUserMemoryRegion s = (Step.SetUserMemoryRegion) last(VM,
                slot("\"slot\":65537,\"flags\":[\"KVM_MEM_LOG_DIRTY_PAGES\"],\"expect\":{\"errno\":\"EINVAL\"}"));
        assertEquals(65537, s.slot());
        assertEquals(1, s.flags());
        assertEquals("EINVAL", s.meta().expect().errno());
        assertEquals(2, s.line());
    }

    // ---- how a guest access reached KVM ----

    @Test
    void viaSaysWhetherTheEmulatorCarriedTheAccessOutAndIsX86s() throws Exception {
        Step.GuestAccess fault = (Step.GuestAccess) last(X86_VM,
                "{\"op\":\"GUEST_READ\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":\"0x5000\"}");
        assertEquals(GuestVia.FAULT, fault.via());
        Step.GuestAccess emulated = (Step.GuestAccess) last(X86_VM,
                "{\"op\":\"GUEST_WRITE\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":\"0x5000\",\"via\":\"emulator\"}");
        assertEquals(GuestVia.EMULATOR, emulated.via());
        assertEquals("via emulator on an arm64 VM: the instruction emulator is x86's", notModelled(VM,
                "{\"op\":\"GUEST_READ\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":0,\"via\":\"emulator\"}"));
    }

    // ---- not modelled ----

    @Test
    void tlbExpectationsAreModelledOnX86Only() throws Exception {
        Step.GuestAccess x = (Step.GuestAccess) last(X86_VM,
                "{\"op\":\"GUEST_WRITE\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":\"0x5000\",\"expect\":{\"tlb\":\"hit\"}}");
        assertEquals("hit", x.meta().expect().tlb());
        String n = notModelled(VM,
                "{\"op\":\"GUEST_WRITE\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":\"0x5000\",\"expect\":{\"tlb\":\"hit\"}}");
        assertEquals("expect.tlb on an arm64 VM is not modelled (kvmsim models x86 vCPU TLBs)", n);
        assertInstanceOf(Step.GuestAccess.class, last(VM, "{\"op\":\"GUEST_WRITE\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":0}"));
        assertInstanceOf(Step.Run.class, last(X86_VM, "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0}"));
    }

    @Test
    void ioctlPassThroughKeepsTheRealResult() throws Exception {
        Step.Ioctl ok = assertInstanceOf(Step.Ioctl.class, last(VM,
                "{\"op\":\"IOCTL\",\"name\":\"KVM_GET_ONE_REG\",\"fd_kind\":\"vcpu\",\"vm\":\"vm0\",\"vcpu\":0,"
                        + "\"ret\":0,\"thread\":\"10499\"}"));
        assertEquals(new Step.Ioctl(ok.meta(), "KVM_GET_ONE_REG", "vcpu", "vm0", 0L, 0L, null), ok);
        assertEquals("10499", ok.meta().thread());
        Step.Ioctl failed = (Step.Ioctl) last("{\"op\":\"IOCTL\",\"name\":\"KVM_GET_SUPPORTED_CPUID\","
                + "\"fd_kind\":\"system\",\"ret\":-1,\"errno\":\"E2BIG\"}");
        assertEquals("E2BIG", failed.errno());
        assertNull(failed.vm());
        // an errno the model never returns is still a valid record of what the kernel said
        assertEquals("EOWNERDEAD", ((Step.Ioctl) last("{\"op\":\"IOCTL\",\"name\":\"X\",\"fd_kind\":\"system\","
                + "\"errno\":\"EOWNERDEAD\"}")).errno());
        assertEquals("t.jsonl:1: 'errno' goes with a failed call: 'ret' must be -1 or absent, not 0",
                error("{\"op\":\"IOCTL\",\"name\":\"X\",\"fd_kind\":\"system\",\"ret\":0,\"errno\":\"EINVAL\"}"));
        assertEquals("t.jsonl:1: 'errno' must be an errno name such as \"EINVAL\", not \"einval\"",
                error("{\"op\":\"IOCTL\",\"name\":\"X\",\"fd_kind\":\"system\",\"errno\":\"einval\"}"));
    }

    @Test
    void aFileIsValidatedOnceAndReadAgainForEachPass(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("t.trace");
        Files.writeString(p, "{\"op\":\"POLICY\",\"dirty-log-flush\":\"if-modified\"}\n"
                + "{\"op\":\"MMAP\",\"hva\":0,\"length\":4096}\n" + X86_VM + "\n"
                + "{\"op\":\"CHECK\",\"violations\":[\"stale-writable-tlb\"]}\n");
        TraceFile f = TraceParser.open(p);
        assertEquals(Map.of("dirty-log-flush", "if-modified"), f.policy());
        assertEquals(Set.of("stale-writable-tlb"), f.expectedViolations());
        List<String> first = new ArrayList<>();
        f.steps().forEach(s -> first.add(s.op() + "@" + s.line()));
        // the implicit host takes the arch of the VM created after its first use
        assertEquals(List.of("POLICY@1", "HOST@2", "MMAP@2", "KVM_CREATE_VM@3", "CHECK@4"), first);
        Step.HostDecl host = null;
        for (Step st : f.steps()) {
            host = host == null && st instanceof Step.HostDecl h ? h : host;
        }
        assertEquals(Arch.X86_64, host.arch());
        assertTrue(host.implicit());
        List<String> second = new ArrayList<>();
        f.steps().forEach(s -> second.add(s.op() + "@" + s.line()));
        assertEquals(first, second);
        // the digest is of the bytes checked (taken in the checking pass), as sha256sum gives it
        assertEquals("sha256:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(p))), f.digest());
        Files.writeString(p, "\n", java.nio.file.StandardOpenOption.APPEND);
        assertFalse(TraceParser.open(p).digest().equals(f.digest()), "one more byte, another digest");
    }

    @Test
    void guestMemfdAndGpcStepsCarryTheirFields() throws Exception {
        Step.CreateGuestMemfd g0 = (Step.CreateGuestMemfd) last(X86_VM,
                "{\"op\":\"KVM_CREATE_GUEST_MEMFD\",\"vm\":\"vm0\",\"gmem\":\"g0\",\"size\":\"0x10000\","
                        + "\"flags\":[\"GUEST_MEMFD_FLAG_MMAP\",\"KVM_GMEM_NO_DIRECT_MAP\"]}");
        assertEquals(List.of("vm0", "g0", 0x10000L, 5L), List.of(g0.vm(), g0.gmem(), g0.size(), g0.flags()));
        Step.SetUserMemoryRegion2 r = (Step.SetUserMemoryRegion2) last(X86_VM,
                "{\"op\":\"KVM_SET_USER_MEMORY_REGION2\",\"vm\":\"vm0\",\"slot\":\"0x10001\","
                        + "\"flags\":[\"KVM_MEM_GUEST_MEMFD\"],\"guest_phys_addr\":0,\"memory_size\":4096,"
                        + "\"userspace_addr\":4096,\"guest_memfd\":\"g0\",\"guest_memfd_offset\":\"0x2000\"}");
        assertEquals(List.of(0x10001L, 4L, "g0", 0x2000L), List.of(r.slot(), r.flags(), r.guestMemfd(),
                r.guestMemfdOffset()));
        Step.SetUserMemoryRegion2 noFd = (Step.SetUserMemoryRegion2) last(X86_VM,
                "{\"op\":\"KVM_SET_USER_MEMORY_REGION2\",\"vm\":\"vm0\",\"slot\":0,\"guest_phys_addr\":0,"
                        + "\"memory_size\":4096,\"userspace_addr\":4096}");
        assertEquals(null, noFd.guestMemfd());
        Step.SetMemoryAttributes a = (Step.SetMemoryAttributes) last(X86_VM,
                "{\"op\":\"KVM_SET_MEMORY_ATTRIBUTES\",\"vm\":\"vm0\",\"address\":4096,\"size\":4096,"
                        + "\"attributes\":[\"KVM_MEMORY_ATTRIBUTE_PRIVATE\"]}");
        assertEquals(8L, a.attributes());
        Step.KvmGuestCopy w = (Step.KvmGuestCopy) last(X86_VM,
                "{\"op\":\"KVM_WRITE_GUEST\",\"vm\":\"vm0\",\"gpa\":\"0x1ff8\",\"length\":16}");
        assertEquals("KVM_WRITE_GUEST", w.op());
        assertTrue(w.write());
        Step.GpcActivate g = (Step.GpcActivate) last(X86_VM,
                "{\"op\":\"KVM_GPC_ACTIVATE\",\"vm\":\"vm0\",\"gpc\":\"pv\",\"gpa\":\"0x5000\",\"length\":32}");
        assertEquals(List.of("pv", 0x5000L, 32L), List.of(g.gpc(), g.gpa(), g.length()));
        Step.GpcStep d = (Step.GpcStep) last(X86_VM, "{\"op\":\"KVM_GPC_DEACTIVATE\",\"vm\":\"vm0\",\"gpc\":\"pv\"}");
        assertEquals(Step.GpcStepKind.DEACTIVATE, d.kind());
        Step.Check c = (Step.Check) last(X86_VM,
                "{\"op\":\"CHECK\",\"vm\":\"vm0\",\"gpc\":\"pv\",\"cache\":{\"active\":true,\"valid\":false}}");
        assertEquals("pv", c.gpc());
        assertTrue(error(X86_VM, "{\"op\":\"KVM_GPC_REFRESH\",\"vm\":\"vm0\",\"gpc\":\"pv\",\"gpa\":0}")
                .startsWith("t.jsonl:2: "));
    }

    @Test
    void unbuiltOpsAreNotModelledAfterFullValidation() throws Exception {
        Trace t = parse(VM,
                "{\"op\":\"MMU_NOTIFIER_INVALIDATE\",\"vm\":\"vm0\",\"gpa\":0,\"length\":4096}",
                "{\"op\":\"KVM_CREATE_GUEST_MEMFD\",\"vm\":\"vm0\",\"gmem\":\"g0\",\"size\":4096,"
                        + "\"flags\":[\"GUEST_MEMFD_FLAG_MMAP\",\"KVM_GMEM_NO_DIRECT_MAP\"]}",
                "{\"op\":\"KVM_CLEAR_DIRTY_LOG\",\"vm\":\"vm0\",\"slot\":0,\"first_page\":0,\"num_pages\":64,\"pages\":[1]}",
                "{\"op\":\"KVM_GPC_ACTIVATE\",\"vm\":\"vm0\",\"gpc\":\"c0\",\"gpa\":0,\"length\":8}");
        List<String> reasons = t.notModelled().stream().map(NotModelled::reason).toList();
        assertEquals(List.of("MMU_NOTIFIER_INVALIDATE on an arm64 VM is not modelled (arm64 MMU notifiers)",
                "KVM_CREATE_GUEST_MEMFD on an arm64 VM is not modelled (guest_memfd)",
                "KVM_CLEAR_DIRTY_LOG on an arm64 VM is not modelled (arm64 dirty logging)",
                "KVM_GPC_ACTIVATE on an arm64 VM is not modelled (kvmsim models gfn_to_pfn caches on x86)"),
                reasons);
        assertEquals(3, t.notModelled().get(1).line());
    }

    @Test
    void notModelledStepsAreStillValidated() {
        assertTrue(error(VM, "{\"op\":\"KVM_CREATE_GUEST_MEMFD\",\"vm\":\"vm0\",\"gmem\":\"g\",\"size\":1,"
                + "\"flags\":[\"GUEST_MEMFD_FLAG_MAP\"]}").startsWith("t.jsonl:2: unknown name 'GUEST_MEMFD_FLAG_MAP'"));
        assertEquals("t.jsonl:1: missing field 'vm'",
                error("{\"op\":\"IOCTL\",\"name\":\"KVM_GET_ONE_REG\",\"fd_kind\":\"vcpu\"}"));
        assertEquals("t.jsonl:1: 'access' must be one of read, write, exec, not \"rw\"",
                error("{\"op\":\"HOST_MEM_ABORT\",\"pfn\":1,\"access\":\"rw\"}"));
        assertEquals("t.jsonl:2: unknown field 'lenght' for MMU_NOTIFIER_CLEAR_YOUNG",
                error(VM, "{\"op\":\"MMU_NOTIFIER_CLEAR_YOUNG\",\"vm\":\"vm0\",\"gpa\":0,\"lenght\":1}"));
    }

    @Test
    void pkvmStepsNeedAPkvmHost() throws Exception {
        assertEquals("t.jsonl:1: PKVM_HOST_DONATE_HYP needs a pKVM host: declare p with {\"op\":\"HOST\",\"host\":\"p\","
                + "\"arch\":\"arm64\",\"features\":{\"pkvm\":true}} before it",
                error("{\"op\":\"PKVM_HOST_DONATE_HYP\",\"host\":\"p\",\"pfn\":1,\"nr_pages\":2}"));
        assertTrue(error("{\"op\":\"HOST\",\"arch\":\"arm64\"}", "{\"op\":\"HOST_MEM_ABORT\",\"pfn\":1,\"access\":\"read\"}")
                .startsWith("t.jsonl:2: HOST_MEM_ABORT needs a pKVM host"));
        assertTrue(error("{\"op\":\"CHECK\",\"host\":\"host0\",\"pfn\":1,\"owner\":\"host\"}")
                .startsWith("t.jsonl:1: CHECK owner needs a pKVM host"));
        assertTrue(error("{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"pkvm\":true}}")
                .startsWith("t.jsonl:1: unknown feature 'pkvm'"));
    }

    @Test
    void pkvmStepsCarryTheirFields() throws Exception {
        Trace t = parse("{\"op\":\"HOST\",\"host\":\"p\",\"arch\":\"arm64\",\"features\":{\"pkvm\":true}}",
                "{\"op\":\"PKVM_HOST_DONATE_HYP\",\"host\":\"p\",\"pfn\":\"0x40100\",\"nr_pages\":2}",
                "{\"op\":\"PKVM_HYP_PIN_SHARED\",\"host\":\"p\",\"pfn\":7}",
                "{\"op\":\"PKVM_HOST_UNSHARE_FFA\",\"host\":\"p\",\"pfn\":7,\"expect\":{\"errno\":\"EPERM\"}}",
                "{\"op\":\"PKVM_HOST_UNSHARE_GUEST\",\"host\":\"p\",\"pfn\":7,\"vm\":\"vm0\",\"gfn\":\"0x80000\"}",
                "{\"op\":\"KVM_PGTABLE_STAGE2_SET_OWNER\",\"host\":\"p\",\"addr\":\"0x40000000\",\"size\":4096,"
                        + "\"owner_id\":\"0x100000001\"}",
                "{\"op\":\"CHECK\",\"host\":\"p\",\"pfn\":7,\"owner\":\"hyp\",\"hyp_state\":\"SHARED_BORROWED\"}");
        assertEquals(new Step.PkvmHypercall(t.steps().get(1).meta(), "p", Hvc.HOST_DONATE_HYP, 0x40100, 2),
                t.steps().get(1));
        assertEquals(1L, ((Step.PkvmHypercall) t.steps().get(2)).nrPages());
        assertEquals("PKVM_HOST_UNSHARE_FFA", t.steps().get(3).op());
        assertEquals("EPERM", t.steps().get(3).meta().expect().errno());
        assertEquals(new Step.PkvmGuestShare(t.steps().get(4).meta(), "p", 7, "vm0", 0x80000, false),
                t.steps().get(4));
        assertEquals(new Step.Stage2SetOwner(t.steps().get(5).meta(), "p", 0x40000000L, 4096, 0x100000001L),
                t.steps().get(5));
        Step.Check c = (Step.Check) t.steps().get(6);
        assertEquals(List.of("p", 7L), List.of(c.host(), c.pfn()));
        assertEquals(List.of(new CheckItem(CheckKey.OWNER, "hyp"), new CheckItem(CheckKey.HYP_STATE, "SHARED_BORROWED")), c.items());
    }

    // ---- CHECK ----

    @Test
    void checkOfModelledKeys() throws Exception {
        Trace t = parse(VM,
                "{\"op\":\"CHECK\",\"vm\":\"vm0\",\"caps\":[\"KVM_CAP_ARM_MTE\"],\"pending_ops\":[\"SANITISE_TAGS\",\"FLUSH_DCACHE\"]}",
                "{\"op\":\"CHECK\",\"vm\":\"vm0\",\"slot\":\"0\",\"locked\":null,\"dirty_logging\":false}",
                "{\"op\":\"CHECK\",\"vm\":\"vm0\",\"gpa\":\"0x1000\",\"page\":{\"pinned\":true,\"mte_tagged\":false}}",
                "{\"op\":\"CHECK\",\"violations\":[\"pending-op-leak\"]}");
        Step.Check c = (Step.Check) t.steps().get(2);
        assertEquals("vm0", c.vm());
        assertNull(c.slot());
        assertEquals(List.of(new CheckItem(CheckKey.CAPS, Set.of("KVM_CAP_ARM_MTE")),
                new CheckItem(CheckKey.PENDING_OPS, Set.of("SANITISE_TAGS", "FLUSH_DCACHE"))), c.items());
        Step.Check s = (Step.Check) t.steps().get(3);
        assertEquals(0L, s.slot());
        assertEquals(List.of(new CheckItem(CheckKey.LOCKED, null), new CheckItem(CheckKey.DIRTY_LOGGING, false)), s.items());
        Step.Check p = (Step.Check) t.steps().get(4);
        assertEquals(0x1000L, p.gpa());
        assertEquals(Map.of("pinned", true, "mte_tagged", false), p.items().get(0).expected());
        Step.Check v = (Step.Check) t.steps().get(5);
        assertNull(v.vm());
        assertEquals(Set.of("pending-op-leak"), v.items().get(0).expected());
        assertEquals("READ", ((Step.Check) last(VM,
                "{\"op\":\"CHECK\",\"vm\":\"vm0\",\"slot\":0,\"locked\":\"READ\"}")).items().get(0).expected());
    }

    @Test
    void checkKeysMustFitTheSelectors() {
        assertEquals("t.jsonl:1: CHECK 'locked' needs selector vm, slot (given: vm)",
                error("{\"op\":\"CHECK\",\"vm\":\"vm0\",\"locked\":null}"));
        assertEquals("t.jsonl:1: CHECK 'caps' needs selector vm (given: vm, slot)",
                error("{\"op\":\"CHECK\",\"vm\":\"vm0\",\"slot\":0,\"caps\":[]}"));
        assertEquals("t.jsonl:1: CHECK 'violations' needs no selector (given: vm)",
                error("{\"op\":\"CHECK\",\"vm\":\"vm0\",\"violations\":[]}"));
        assertEquals("t.jsonl:1: CHECK 'tlb' needs selector vm, gpa, vcpu (given: vm, gpa)",
                error("{\"op\":\"CHECK\",\"vm\":\"vm0\",\"gpa\":0,\"tlb\":null}"));
    }

    @Test
    void checkValueShapes() {
        assertEquals("t.jsonl:1: CHECK has no key to check (keys: pending_ops, caps, locked, dirty_logging, "
                + "dirty_pages, page, spte, tlb, cache, owner, host_state, hyp_state, violations)",
                error("{\"op\":\"CHECK\",\"vm\":\"vm0\"}"));
        assertEquals("t.jsonl:1: unknown invariant \"stale-tlb\" in 'violations'",
                error("{\"op\":\"CHECK\",\"violations\":[\"stale-tlb\"]}"));
        assertEquals("t.jsonl:1: 'locked' must be null, READ or WRITE, not \"read\"",
                error("{\"op\":\"CHECK\",\"vm\":\"v\",\"slot\":0,\"locked\":\"read\"}"));
        assertTrue(error("{\"op\":\"CHECK\",\"vm\":\"v\",\"pending_ops\":[\"FLUSH\"]}")
                .startsWith("t.jsonl:1: unknown pending op \"FLUSH\" in 'pending_ops'"));
        assertTrue(error("{\"op\":\"CHECK\",\"vm\":\"v\",\"gpa\":0,\"page\":{\"pined\":true}}")
                .startsWith("t.jsonl:1: unknown property 'pined' in 'page'"));
        assertEquals("t.jsonl:1: 'dirty_logging' must be true or false, not \"yes\"",
                error("{\"op\":\"CHECK\",\"vm\":\"v\",\"slot\":0,\"dirty_logging\":\"yes\"}"));
        assertEquals("t.jsonl:1: unknown field 'slots' for CHECK", error("{\"op\":\"CHECK\",\"slots\":0,\"violations\":[]}"));
    }

    @Test
    void checkOfUnbuiltKeysIsNotModelled() throws Exception {
        String n = notModelled(VM, "{\"op\":\"CHECK\",\"vm\":\"vm0\",\"gpa\":0,"
                + "\"page\":{\"pinned\":false},\"spte\":{\"present\":true}}");
        assertEquals("CHECK spte on an arm64 VM is not modelled (kvmsim models the x86 MMU)", n);
        assertEquals("t.jsonl:1: 'owner' must be one of host, hyp, guest, not \"me\"",
                error("{\"op\":\"CHECK\",\"host\":\"h9\",\"pfn\":3,\"owner\":\"me\"}"));
    }

    // ---- files ----

    @Test
    void pathParseAndIoErrors(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.jsonl");
        Files.writeString(good, "# x\n" + VM + "\n");
        Trace t = TraceParser.parse(good);
        assertEquals(good.toString(), t.file());
        assertEquals(2, t.steps().get(1).line());

        Path missing = dir.resolve("missing.jsonl");
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> TraceParser.parse(missing));
        assertEquals(0, e.line());
        assertEquals(missing + ": cannot read: no such file", e.getMessage());
        assertEquals("cannot read: no such file", e.reason());
        assertEquals(missing.toString(), e.file());

        assertEquals(dir + ": cannot read: is a directory",
                assertThrows(TraceFormatException.class, () -> TraceParser.parse(dir)).getMessage());
    }

    @Test
    void invalidUtf8IsReportedOnItsLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.jsonl");
        byte[] head = (VM + "\n# ok\n{\"op\":\"MMAP\",\"hva\":0,\"length\":1,\"thread\":\"").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + 3];
        System.arraycopy(head, 0, all, 0, head.length);
        all[head.length] = (byte) 0xC3; // a lead byte with no continuation
        all[head.length + 1] = '"';
        all[head.length + 2] = '}';
        Files.write(bad, all);
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> TraceParser.parse(bad));
        assertEquals(3, e.line());
        assertEquals(bad + ":3: not valid UTF-8", e.getMessage());
    }

    @Test
    void exceptionMessageFormat() {
        assertEquals("f:7: r", new TraceFormatException("f", 7, "r").getMessage());
        assertEquals("f: r", new TraceFormatException("f", 0, "r").getMessage());
    }

    @Test
    void theExampleOfTheFormatDocParses() throws Exception {
        Trace t = parse("# seed 004: a stale writable TLB entry survives enabling dirty logging",
                "{\"op\":\"POLICY\",\"dirty-log-flush\":\"if-modified\"}",
                "{\"op\":\"HOST\",\"arch\":\"x86_64\",\"features\":{\"ad_bits\":false}}",
                "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm0\",\"arch\":\"x86_64\"}",
                "{\"op\":\"KVM_CREATE_VCPU\",\"vm\":\"vm0\",\"vcpu\":0}",
                "{\"op\":\"KVM_SET_USER_MEMORY_REGION\",\"vm\":\"vm0\",\"slot\":0,\"flags\":[],\"guest_phys_addr\":0,"
                        + "\"memory_size\":\"0x10000\",\"userspace_addr\":\"0x7f0000000000\"}",
                "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0}",
                "{\"op\":\"GUEST_WRITE\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":\"0x5000\",\"expect\":{\"tlb\":\"miss\"}}",
                "{\"op\":\"MMU_NOTIFIER_CLEAR_YOUNG\",\"vm\":\"vm0\",\"gpa\":\"0x5000\",\"length\":4096}",
                "{\"op\":\"KVM_SET_USER_MEMORY_REGION\",\"vm\":\"vm0\",\"slot\":0,\"flags\":[\"KVM_MEM_LOG_DIRTY_PAGES\"],"
                        + "\"guest_phys_addr\":0,\"memory_size\":\"0x10000\",\"userspace_addr\":\"0x7f0000000000\"}",
                "{\"op\":\"GUEST_WRITE\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":\"0x5000\",\"expect\":{\"tlb\":\"hit\"}}",
                "{\"op\":\"KVM_GET_DIRTY_LOG\",\"vm\":\"vm0\",\"slot\":0,\"expect\":{\"dirty_pages\":[]}}",
                "{\"op\":\"CHECK\",\"violations\":[\"dirty-log-completeness\",\"stale-writable-tlb\"]}");
        assertEquals(12, t.steps().size());
        assertEquals(List.of(), t.notModelled());
        assertInstanceOf(Step.MmuNotifier.class, t.steps().get(7));
        assertInstanceOf(Step.GetDirtyLog.class, t.steps().get(10));
        assertFalse(((Step.HostDecl) t.steps().get(1)).features().adBits());
        assertEquals(Map.of("dirty-log-flush", "if-modified"), t.policy());
    }
}
