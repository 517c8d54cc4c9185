package kvmsim.journal.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import kvmsim.domain.abi.Arch;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.abi.Errno;
import kvmsim.domain.abi.UapiValue;
import kvmsim.domain.abi.VmType;
import kvmsim.domain.audit.Invariant;
import kvmsim.domain.engine.ReferenceEngine;
import kvmsim.domain.engine.Replay;
import kvmsim.domain.engine.RunReport;
import kvmsim.domain.engine.StepResult;
import kvmsim.domain.host.HostFeature;
import kvmsim.domain.host.HostFeatures;
import kvmsim.domain.policy.Policies;
import kvmsim.domain.trace.CheckKey;
import kvmsim.domain.trace.Field;
import kvmsim.domain.trace.FieldType;
import kvmsim.domain.trace.NotModelled;
import kvmsim.domain.trace.Op;
import kvmsim.domain.trace.Ops;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps docs/trace-format.md, the public reference of the trace format, true to the code.
 *
 * <ul>
 * <li>Every {@code ```jsonl} block is a trace that the parser accepts, that the model covers, and
 * that replays on the reference engine with every expectation met and no unexpected violation.
 * Every {@code ```jsonl-invalid} block is refused before the run, with the reason the line after
 * it gives ({@code Refused with `FILE:LINE: reason`}). Any other block that holds a step must be
 * one of the two.</li>
 * <li>The op index table (first column "op") lists exactly the ops of the registry ({@link Ops}),
 * and each op has a section whose heading names it, with a field table that lists its fields in
 * order, with their type, whether they are required, their default, and an "Expect:" line with
 * exactly the expect keys it takes.</li>
 * <li>The tables of value types, expect keys, policies, host features, capabilities, CHECK keys
 * and invariants list exactly what the code defines, with the defaults it uses.</li>
 * <li>Links resolve (headings of the page, and other docs and their headings), the complete
 * example is examples/x86/trace-format-example.trace, and the page never points outside the
 * repository.</li>
 * <li>docs/examples.md, the catalogue of examples/, names every file there, and its links
 * resolve.</li>
 * </ul>
 *
 * Tests run in the module directory, so the doc is {@code ../docs/trace-format.md}.
 */
class DocsTraceFormatTest {

    private static final Path DOC = Path.of("..", "docs", "trace-format.md");
    private static final Path EXAMPLE = Path.of("..", "examples", "x86", "trace-format-example.trace");
    private static final String VALID = "jsonl";
    private static final String INVALID = "jsonl-invalid";
    private static final Pattern TICKS = Pattern.compile("`([^`]+)`");
    private static final Pattern UPPER = Pattern.compile("[A-Z][A-Z0-9_]*");
    private static final Pattern REFUSED = Pattern.compile("^Refused with `(.*)`\\s*$");
    private static final String NOT_ON_ARCH = "—";

    private static List<String> lines;
    private static List<Block> blocks;
    private static List<Table> tables;
    private static List<Heading> headings;

    /** A fenced code block: its tag, the line of its opening fence, its text, and the refusal after it. */
    private record Block(String tag, int line, String text, String refusal) {
    }

    /** A markdown table: the line of its header, the header cells and the body rows. */
    private record Table(int line, List<String> header, List<List<String>> rows) {

        int column(String name) {
            int i = header.indexOf(name);
            assertTrue(i >= 0, "table at line " + line + " has no column '" + name + "': " + header);
            return i;
        }

        /** The row whose first cell is exactly `key`, or null. */
        List<String> row(String key) {
            for (List<String> r : rows) {
                if (r.get(0).equals("`" + key + "`")) {
                    return r;
                }
            }
            return null;
        }

        /** The single backticked name of each row's first cell. */
        List<String> keys() {
            List<String> out = new ArrayList<>();
            for (List<String> r : rows) {
                List<String> t = ticks(r.get(0));
                assertEquals(1, t.size(), "table at line " + line + ": first cell must be one `name`: " + r);
                out.add(t.get(0));
            }
            return out;
        }
    }

    /** A heading outside code blocks: its line (0-based index), level and text. */
    private record Heading(int index, int level, String text) {
    }

    @BeforeAll
    static void read() throws Exception {
        assertTrue(Files.isRegularFile(DOC), "the doc is at " + DOC.toAbsolutePath());
        lines = Files.readAllLines(DOC, StandardCharsets.UTF_8);
        blocks = new ArrayList<>();
        tables = new ArrayList<>();
        headings = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith("```")) {
                String tag = l.substring(3).strip();
                int start = i;
                StringBuilder text = new StringBuilder();
                for (i++; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
                    text.append(lines.get(i)).append('\n');
                }
                assertTrue(i < lines.size(), "unclosed code block at line " + (start + 1));
                String refusal = null;
                int j = i + 1;
                while (j < lines.size() && lines.get(j).isBlank()) {
                    j++;
                }
                if (j < lines.size()) {
                    Matcher m = REFUSED.matcher(lines.get(j));
                    if (m.matches()) {
                        refusal = m.group(1);
                    }
                }
                blocks.add(new Block(tag, start + 1, text.toString(), refusal));
            } else if (l.startsWith("|")) {
                int start = i;
                List<String> header = cells(l);
                List<List<String>> rows = new ArrayList<>();
                i++; // the separator line
                for (i++; i < lines.size() && lines.get(i).startsWith("|"); i++) {
                    List<String> row = cells(lines.get(i));
                    assertEquals(header.size(), row.size(), "table row at line " + (i + 1) + " has "
                            + row.size() + " cells, its header " + header.size());
                    rows.add(row);
                }
                i--;
                tables.add(new Table(start + 1, header, rows));
            } else if (l.startsWith("#")) {
                int level = 0;
                while (level < l.length() && l.charAt(level) == '#') {
                    level++;
                }
                headings.add(new Heading(i, level, l.substring(level).strip()));
            }
        }
    }

    // ---- markdown helpers ----

    /** The cells of a table line, split on unescaped pipes; an escaped pipe becomes a pipe. */
    private static List<String> cells(String line) {
        String s = line.strip();
        if (s.startsWith("|")) {
            s = s.substring(1);
        }
        if (s.endsWith("|") && !s.endsWith("\\|")) {
            s = s.substring(0, s.length() - 1);
        }
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == '|') {
                cell.append('|');
                i++;
            } else if (c == '|') {
                out.add(cell.toString().strip());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        out.add(cell.toString().strip());
        return out;
    }

    /** The backticked items of a text, in order. */
    private static List<String> ticks(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = TICKS.matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The backticked items that are upper-case names (KVM_..., E...), as a set. */
    private static Set<String> upperTicks(String text) {
        return ticks(text).stream().filter(t -> UPPER.matcher(t).matches())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The one table whose first header cell is {@code first}. */
    private static Table table(String first) {
        List<Table> found = tables.stream().filter(t -> t.header().get(0).equals(first)).toList();
        assertEquals(1, found.size(), "tables whose first column is '" + first + "'");
        return found.get(0);
    }

    private static List<String> opNames() {
        return Ops.all().stream().map(Op::name).toList();
    }

    /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
    private static String slug(String heading) {
        String s = heading.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "");
        return s.replace(' ', '-');
    }

    // ---- the blocks ----

    /** Why `kvmsim replay` refuses the trace at {@code p} before its first step, as the doc writes it; null if it does not. */
    private static String refusal(Path p) {
        try {
            TraceFile t = TraceParser.open(p);
            if (!t.notModelled().isEmpty()) {
                NotModelled n = t.notModelled().get(0);
                return "FILE:" + n.line() + ": " + n.reason();
            }
            return null;
        } catch (TraceFormatException e) {
            return e.line() > 0 ? "FILE:" + e.line() + ": " + e.reason() : "FILE: " + e.reason();
        }
    }

    private static Path write(Path dir, Block b) throws Exception {
        Path p = dir.resolve("block-at-line-" + b.line() + ".trace");
        Files.writeString(p, b.text(), StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void theDocHasBothKindsOfBlocks() {
        assertTrue(blocks.stream().filter(b -> b.tag().equals(VALID)).count() >= 10, "```jsonl blocks");
        assertTrue(blocks.stream().anyMatch(b -> b.tag().equals(INVALID)), "```jsonl-invalid blocks");
    }

    @Test
    void everyValidBlockParsesAndReplaysCleanly(@TempDir Path dir) throws Exception {
        List<String> problems = new ArrayList<>();
        for (Block b : blocks) {
            if (!b.tag().equals(VALID)) {
                continue;
            }
            Path p = write(dir, b);
            String why = refusal(p);
            if (why != null) {
                problems.add("line " + b.line() + ": refused: " + why);
                continue;
            }
            if (b.refusal() != null) {
                problems.add("line " + b.line() + ": a valid block is followed by 'Refused with'");
            }
            TraceFile t = TraceParser.open(p);
            List<String> failed = new ArrayList<>();
            RunReport r = Replay.run("docs", t, Replay.policiesFor(t, Map.of()), new ReferenceEngine(), false,
                    (StepResult s) -> {
                        if (!s.mismatches().isEmpty()) {
                            failed.add("trace line " + s.line() + " " + s.op() + " " + s.mismatches());
                        }
                    });
            if (!failed.isEmpty() || r.exitStatus() != 0) {
                problems.add("line " + b.line() + ": replay fails: " + failed + " unexpected violations "
                        + r.unexpected());
            }
        }
        assertEquals(List.of(), problems, "```" + VALID + " blocks of " + DOC);
    }

    @Test
    void everyInvalidBlockIsRefusedForTheReasonItGives(@TempDir Path dir) throws Exception {
        List<String> problems = new ArrayList<>();
        for (Block b : blocks) {
            if (!b.tag().equals(INVALID)) {
                continue;
            }
            String why = refusal(write(dir, b));
            if (why == null) {
                problems.add("line " + b.line() + ": accepted, but marked " + INVALID);
            } else if (b.refusal() == null) {
                problems.add("line " + b.line() + ": no 'Refused with `" + why + "`' after the block");
            } else if (!b.refusal().equals(why)) {
                problems.add("line " + b.line() + ": the doc says `" + b.refusal() + "`, the parser `" + why + "`");
            }
        }
        assertEquals(List.of(), problems, "```" + INVALID + " blocks of " + DOC);
    }

    @Test
    void everyBlockThatHoldsAStepIsTagged() {
        for (Block b : blocks) {
            boolean step = b.text().lines().anyMatch(l -> l.strip().startsWith("{\"op\""));
            if (step) {
                assertTrue(b.tag().equals(VALID) || b.tag().equals(INVALID),
                        "the block at line " + b.line() + " holds trace lines: tag it " + VALID + " or " + INVALID);
            }
        }
    }

    @Test
    void theCompleteExampleIsTheExampleFile() throws Exception {
        List<String> example = steps(Files.readString(EXAMPLE, StandardCharsets.UTF_8));
        assertTrue(blocks.stream().anyMatch(b -> b.tag().equals(VALID) && steps(b.text()).equals(example)),
                "a ```" + VALID + " block holds the steps of " + EXAMPLE + ", verbatim");
    }

    private static List<String> steps(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    // ---- the ops ----

    @Test
    void theOpIndexListsExactlyTheRegistry() {
        List<String> listed = table("op").keys();
        assertEquals(new TreeSet<>(opNames()), new TreeSet<>(listed), "the op table against Ops.all()");
        assertEquals(listed.size(), new LinkedHashSet<>(listed).size(), "an op listed twice: " + listed);
        String doc = String.join("\n", lines);
        for (String op : opNames()) {
            assertTrue(doc.contains("`" + op + "`"), op + " appears as `" + op + "`");
        }
    }

    /** The ops each heading names, by heading; every op in exactly one heading. */
    private static Map<Heading, List<Op<?>>> opSections() {
        Map<Heading, List<Op<?>>> out = new LinkedHashMap<>();
        Map<String, Heading> seen = new LinkedHashMap<>();
        for (Heading h : headings) {
            List<Op<?>> ops = new ArrayList<>();
            for (String t : ticks(h.text())) {
                Op<?> op = Ops.byName(t);
                if (op != null) {
                    Heading before = seen.put(t, h);
                    assertNull(before, t + " has two sections: '" + (before == null ? "" : before.text()) + "' and '"
                            + h.text() + "'");
                    ops.add(op);
                }
            }
            if (!ops.isEmpty()) {
                out.put(h, ops);
            }
        }
        assertEquals(new TreeSet<>(opNames()), new TreeSet<>(seen.keySet()), "every op has a section heading");
        return out;
    }

    /** The lines of a section: after its heading, up to the next heading. */
    private static List<String> body(Heading h) {
        int end = lines.size();
        for (Heading n : headings) {
            if (n.index() > h.index()) {
                end = n.index();
                break;
            }
        }
        return lines.subList(h.index() + 1, end);
    }

    /** The field table of a section: the first table in it whose first column is "field", or null. */
    private static Table fieldTable(Heading h) {
        int end = h.index() + 1 + body(h).size();
        for (Table t : tables) {
            if (t.line() - 1 > h.index() && t.line() - 1 < end && t.header().get(0).equals("field")) {
                return t;
            }
        }
        return null;
    }

    /** How the doc names a field type (the first column of the "type" table). */
    private static String typeWord(FieldType t) {
        return switch (t) {
            case FieldType.Unsigned u -> u.bits() == 32 ? "u32" : "u64";
            case FieldType.Signed s -> "s64";
            case FieldType.Id i -> "id";
            case FieldType.Text x -> "string";
            case FieldType.Bool b -> "bool";
            case FieldType.OneOf o -> "enum";
            case FieldType.Flags f -> "flags";
            case FieldType.Named n -> "name";
            case FieldType.UnsignedList l -> "u64 list";
            case FieldType.ErrnoName e -> "errno";
            case FieldType.ArchName a -> "arch";
            case FieldType.CapName c -> "cap";
            case FieldType.CapFlags c -> "cap flags";
            case FieldType.CapArgs c -> "cap args";
            case FieldType.VmTypeOf v -> "vm type";
            case FieldType.Features f -> "features";
            case FieldType.GuestPteBits g -> "gpte";
        };
    }

    /** One field type of each kind: the type words the doc must define. */
    private static final List<FieldType> EVERY_KIND = List.of(new FieldType.Unsigned(64), new FieldType.Unsigned(32),
            new FieldType.Signed(), new FieldType.Id(), new FieldType.Text(), new FieldType.Bool(),
            new FieldType.OneOf(List.of()), new FieldType.Flags(Map.of(), 64), new FieldType.Named(Map.of(), 32, ""),
            new FieldType.UnsignedList(), new FieldType.ErrnoName(), new FieldType.ArchName(),
            new FieldType.CapName(), new FieldType.CapFlags("cap"), new FieldType.CapArgs("cap"),
            new FieldType.VmTypeOf("arch"), new FieldType.Features("arch"), new FieldType.GuestPteBits());

    @Test
    void everyOpSectionListsTheOpsFieldsAndExpectKeys() {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<Heading, List<Op<?>>> e : opSections().entrySet()) {
            Heading h = e.getKey();
            Table t = fieldTable(h);
            List<String> expectLines = body(h).stream().filter(l -> l.startsWith("Expect:")).toList();
            for (Op<?> op : e.getValue()) {
                String where = "section '" + h.text() + "', op " + op.name() + ": ";
                if (op.fields().isEmpty()) {
                    if (t != null) {
                        problems.add(where + "has a field table, but the op's fields are read by a grammar of its own");
                    }
                } else if (t == null) {
                    problems.add(where + "no field table");
                } else {
                    problems.addAll(fieldProblems(where, op, t));
                }
                if (expectLines.size() != 1) {
                    problems.add(where + "needs one 'Expect:' line, has " + expectLines.size());
                    continue;
                }
                String line = expectLines.get(0);
                if (op.expect().isEmpty()) {
                    if (!line.equals("Expect: none.")) {
                        problems.add(where + "takes no expect, so 'Expect: none.', not '" + line + "'");
                    }
                } else if (!new TreeSet<>(ticks(line)).equals(new TreeSet<>(op.expect()))) {
                    problems.add(where + "'" + line + "', but it takes " + new TreeSet<>(op.expect()));
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    private static List<String> fieldProblems(String where, Op<?> op, Table t) {
        List<String> problems = new ArrayList<>();
        List<String> documented = t.keys();
        List<String> actual = op.fields().stream().map(Field::name).toList();
        if (!documented.equals(actual)) {
            problems.add(where + "the table lists " + documented + ", the op reads " + actual);
            return problems;
        }
        int type = t.column("type");
        int required = t.column("required");
        for (int i = 0; i < actual.size(); i++) {
            Field f = op.fields().get(i);
            List<String> row = t.rows().get(i);
            String at = where + "field " + f.name() + ": ";
            List<String> typeTicks = ticks(row.get(type));
            String word = typeWord(f.type());
            if (typeTicks.isEmpty() || !typeTicks.get(0).equals(word)) {
                problems.add(at + "type should start with `" + word + "`: " + row.get(type));
            } else if (f.type() instanceof FieldType.OneOf one
                    && !typeTicks.subList(1, typeTicks.size()).equals(one.values())) {
                problems.add(at + "its values are " + one.values() + ": " + row.get(type));
            } else if (f.type() instanceof FieldType.Flags fl
                    && !upperTicks(row.get(type)).equals(new TreeSet<>(fl.names().keySet()))) {
                problems.add(at + "its names are " + fl.names().keySet() + ": " + row.get(type));
            } else if (f.type() instanceof FieldType.Named n
                    && !upperTicks(row.get(type)).equals(new TreeSet<>(n.names().keySet()))) {
                problems.add(at + "its names are " + n.names().keySet() + ": " + row.get(type));
            }
            boolean saysRequired = row.get(required).startsWith("yes");
            if (saysRequired != f.required()) {
                problems.add(at + (f.required() ? "required" : "optional") + ", the doc says '" + row.get(required)
                        + "'");
            }
            Object absent = f.absent();
            if (!f.required() && (absent instanceof Long || absent instanceof Boolean || absent instanceof String)
                    && !ticks(row.get(required)).contains(String.valueOf(absent))) {
                problems.add(at + "its default is `" + absent + "`: " + row.get(required));
            }
        }
        return problems;
    }

    @Test
    void theTypeTableDefinesEveryTypeWord() {
        Table t = table("type");
        Set<String> defined = new TreeSet<>(t.keys());
        Set<String> words = EVERY_KIND.stream().map(DocsTraceFormatTest::typeWord)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(words, defined, "the type table against FieldType");
        Set<String> typeNames = upperTicks(t.row("vm type").get(1));
        typeNames.removeIf(n -> !n.startsWith("KVM_X86_"));
        assertEquals(new TreeSet<>(UapiValue.names(VmType.class).keySet()), typeNames, "the VM type names");
        for (Arch a : Arch.values()) {
            assertTrue(ticks(t.row("arch").get(1)).contains(a.traceName), "arch " + a.traceName);
        }
    }

    // ---- expectations ----

    @Test
    void theExpectTableGivesEachKeyTheOpsThatTakeIt() {
        Table t = table("expect key");
        Set<String> keys = new TreeSet<>();
        Ops.all().forEach(op -> keys.addAll(op.expect()));
        assertEquals(keys, new TreeSet<>(t.keys()), "the expect keys of the registry");
        int ops = t.column("ops");
        for (String key : keys) {
            List<String> row = t.row(key);
            Set<String> want = Ops.all().stream().filter(op -> op.expect().contains(key)).map(Op::name)
                    .collect(Collectors.toCollection(TreeSet::new));
            Set<String> said = new TreeSet<>();
            String cell = row.get(ops);
            if (cell.startsWith("every op except")) {
                said.addAll(opNames());
                ticks(cell).forEach(said::remove);
            } else {
                said.addAll(ticks(cell));
            }
            assertEquals(want, said, "the ops that take expect key " + key);
        }
        Set<String> errnos = Arrays.stream(Errno.values()).map(Enum::name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(errnos, upperTicks(t.row("errno").get(t.column("value"))), "the errno names expect takes");
    }

    // ---- policies and hosts ----

    @Test
    void thePolicyTableListsEveryPolicyWithItsValuesAndDefault() {
        Table t = table("policy");
        assertEquals(List.copyOf(Policies.KNOWN.keySet()), t.keys(), "the policies, in Policies.KNOWN order");
        int values = t.column("values");
        int def = t.column("default");
        Policies.KNOWN.forEach((key, allowed) -> {
            List<String> row = t.row(key);
            assertEquals(allowed, ticks(row.get(values)), "the values of " + key + ", default first");
            assertEquals(List.of(allowed.get(0)), ticks(row.get(def)), "the default of " + key);
        });
    }

    @Test
    void theFeatureTableGivesEveryHostFeatureItsDefaultOnEachArch() {
        Table t = table("feature");
        assertEquals(Arrays.stream(HostFeature.values()).map(f -> f.traceName).toList(), t.keys(),
                "the host features, in HostFeature order");
        for (HostFeature f : HostFeature.values()) {
            List<String> row = t.row(f.traceName);
            for (Arch a : Arch.values()) {
                String cell = row.get(t.column(a.traceName + " default"));
                String at = "feature " + f.traceName + " on " + a.traceName + ": ";
                if (!f.arches.contains(a)) {
                    assertEquals(NOT_ON_ARCH, cell, at + "the arch has no such feature");
                    continue;
                }
                Object v = HostFeatures.defaults(a).get(f);
                List<String> ticks = ticks(cell);
                assertFalse(ticks.isEmpty(), at + "no default given: " + cell);
                if (v instanceof List<?> list) {
                    assertEquals(new TreeSet<>(list.stream().map(String::valueOf).toList()), new TreeSet<>(ticks),
                            at + "default");
                } else {
                    assertEquals(String.valueOf(v), ticks.get(0), at + "default");
                }
            }
        }
    }

    @Test
    void theCapTableListsEveryCapWithTheNamesOfItsFlagsAndArgs() {
        Table t = table("cap");
        assertEquals(new TreeSet<>(UapiValue.names(Cap.class).keySet()), new TreeSet<>(t.keys()), "the caps");
        for (Cap c : Cap.values()) {
            List<String> row = t.row(c.name());
            assertEquals(c.arch == null ? "any" : c.arch.traceName, row.get(t.column("arch")), c + " arch");
            assertEquals(new TreeSet<>(c.flagNames.keySet()), upperTicks(row.get(t.column("`flags` names"))),
                    c + " flags names");
            assertEquals(new TreeSet<>(c.argNames.keySet()), upperTicks(row.get(t.column("`args`"))),
                    c + " args names");
        }
    }

    // ---- CHECK ----

    @Test
    void theCheckTableListsEveryKeyWithItsSelectorsAndValues() {
        Table t = table("check key");
        assertEquals(Arrays.stream(CheckKey.values()).map(k -> k.traceName).toList(), t.keys(),
                "the CHECK keys, in CheckKey order");
        for (CheckKey k : CheckKey.values()) {
            List<String> row = t.row(k.traceName);
            String at = "CHECK " + k.traceName + ": ";
            assertEquals(new TreeSet<>(k.selectors), new TreeSet<>(ticks(row.get(t.column("selectors")))),
                    at + "selectors");
            assertEquals(k.x86Only ? "not modelled" : "modelled", row.get(t.column("arm64 VM")),
                    at + "on an arm64 VM");
            String value = row.get(t.column("value"));
            switch (k.value) {
                case CheckKey.Value.Names n -> assertEquals(new TreeSet<>(n.names()), upperTicks(value), at + "names");
                case CheckKey.Value.NullOr n -> {
                    assertTrue(ticks(value).contains("null"), at + "null");
                    assertTrue(ticks(value).containsAll(n.values()), at + n.values());
                }
                case CheckKey.Value.OneOf o -> assertTrue(ticks(value).containsAll(o.values()), at + o.values());
                case CheckKey.Value.Props p -> assertTrue(ticks(value).containsAll(p.props()), at + p.props());
                default -> {
                    // bool, page lists, tlb and invariants: their shape is in the text
                }
            }
        }
        List<String> selectorLines = lines.stream().filter(l -> l.startsWith("Selectors:")).toList();
        assertEquals(1, selectorLines.size(), "one 'Selectors:' line");
        assertTrue(ticks(selectorLines.get(0)).containsAll(CheckKey.SELECTORS), "every selector: " + CheckKey.SELECTORS);
    }

    @Test
    void theInvariantTableListsEveryInvariant() {
        assertEquals(Arrays.stream(Invariant.values()).map(i -> i.id).toList(), table("invariant").keys(),
                "the invariants, in Invariant order");
    }

    // ---- links ----

    /** The anchors of a markdown file's headings, outside code blocks. */
    private static Set<String> anchors(List<String> md) {
        Set<String> out = new TreeSet<>();
        boolean inBlock = false;
        for (String l : md) {
            if (l.startsWith("```")) {
                inBlock = !inBlock;
            } else if (!inBlock && l.startsWith("#")) {
                out.add(slug(l.replaceFirst("^#+", "").strip()));
            }
        }
        return out;
    }

    /**
     * The links of {@code md} outside code blocks that do not resolve: to a heading of the same
     * file, to a file next to it, or to a heading of such a file.
     */
    private static List<String> brokenLinks(Path file, List<String> md) throws Exception {
        Pattern link = Pattern.compile("\\]\\(([A-Za-z0-9_.-]*)(?:#([^)]+))?\\)");
        List<String> broken = new ArrayList<>();
        boolean inBlock = false;
        for (int i = 0; i < md.size(); i++) {
            String l = md.get(i);
            if (l.startsWith("```")) {
                inBlock = !inBlock;
                continue;
            }
            Matcher m = link.matcher(l);
            while (!inBlock && m.find()) {
                String target = m.group(1);
                String anchor = m.group(2);
                List<String> targetLines = md;
                if (!target.isEmpty()) {
                    Path other = file.resolveSibling(target);
                    if (!Files.isRegularFile(other)) {
                        broken.add(file.getFileName() + " line " + (i + 1) + ": no file " + target);
                        continue;
                    }
                    targetLines = Files.readAllLines(other, StandardCharsets.UTF_8);
                }
                if (anchor != null && !anchors(targetLines).contains(anchor)) {
                    broken.add(file.getFileName() + " line " + (i + 1) + ": no heading " + target + "#" + anchor);
                }
            }
        }
        return broken;
    }

    @Test
    void linksResolve() throws Exception {
        assertEquals(List.of(), brokenLinks(DOC, lines), "links of " + DOC);
    }

    /** docs/examples.md, the catalogue of examples/: it names every file there, and its links resolve. */
    @Test
    void theExamplesCatalogueNamesEveryExample() throws Exception {
        Path catalogue = DOC.resolveSibling("examples.md");
        List<String> md = Files.readAllLines(catalogue, StandardCharsets.UTF_8);
        String text = String.join("\n", md);
        List<String> missing = new ArrayList<>();
        try (java.util.stream.Stream<Path> s = Files.walk(Path.of("..", "examples"))) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                if (!text.contains("`" + p.getFileName() + "`")
                        && !text.contains(p.getParent().getFileName() + "/" + p.getFileName())) {
                    missing.add(p.toString());
                }
            }
        }
        assertEquals(List.of(), missing, "example files that " + catalogue + " does not name");
        assertEquals(List.of(), brokenLinks(catalogue, md), "links of " + catalogue);
    }

    @Test
    void theDocNeverPointsOutsideTheRepository() {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("../shared") || lines.get(i).contains("/work/")) {
                fail("line " + (i + 1) + " points outside the repository: " + lines.get(i));
            }
        }
    }
}
