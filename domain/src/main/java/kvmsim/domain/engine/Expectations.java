package kvmsim.domain.engine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import kvmsim.domain.kernel.Outcome;
import kvmsim.domain.trace.CheckItem;
import kvmsim.domain.trace.CheckKey;
import kvmsim.domain.trace.Expect;
import kvmsim.domain.trace.Step;
import kvmsim.domain.vcpu.GuestExit;

/** Compares what a step did with what its trace line expects. */
public final class Expectations {

    private Expectations() {
    }

    public static List<Mismatch> judge(Step step, Outcome out, Set<String> brokenSoFar) {
        List<Mismatch> m = new ArrayList<>();
        Expect e = step.meta().expect();
        String actualErrno = out.errno() == null ? "none" : out.errno().name();
        if (e.ret() != null && e.ret() != out.ret()) {
            m.add(new Mismatch("ret", e.ret().toString(), out.ret() + (out.errno() == null ? "" : " (" + actualErrno + ")")));
        }
        if (e.errno() != null && !e.errno().equals(actualErrno)) {
            m.add(new Mismatch("errno", e.errno(), actualErrno));
        }
        if (e.exit() != null) {
            GuestExit exit = out.exit() == null && out.errno() == null && step instanceof Step.Run ? GuestExit.NONE
                    : out.exit(); // a KVM_RUN that entered the guest
            String actualExit = exit == null ? "none" : exit.name();
            if (!e.exit().equals(actualExit)) {
                m.add(new Mismatch("exit", e.exit(), actualExit));
            }
        }
        if (e.tlb() != null && !e.tlb().equals(out.observed().get("tlb"))) {
            m.add(new Mismatch("tlb", e.tlb(), show(out.observed().get("tlb"))));
        }
        if (e.result() != null && !e.result().equals(out.observed().get("result"))) {
            m.add(new Mismatch("result", e.result(), show(out.observed().get("result"))));
        }
        if (e.dirtyPages() != null && !same(e.dirtyPages(), out.observed().get("dirty_pages"))) {
            m.add(new Mismatch("dirty_pages", show(e.dirtyPages()), show(out.observed().get("dirty_pages"))));
        }
        // in ring order, duplicates and all
        if (e.harvested() != null && !e.harvested().equals(out.observed().get("harvested"))) {
            m.add(new Mismatch("harvested", e.harvested().toString(), String.valueOf(out.observed().get("harvested"))));
        }
        if (step instanceof Step.Check c) {
            for (CheckItem item : c.items()) {
                Object actual = item.key() == CheckKey.VIOLATIONS ? new TreeSet<>(brokenSoFar)
                        : out.observed().get(item.key().traceName);
                if (!same(item.expected(), actual)) {
                    m.add(new Mismatch(item.key().traceName, show(item.expected()), show(actual)));
                }
            }
        }
        return m;
    }

    // lists compare as sets; an object compares the keys it gives (trace-format.md, CHECK)
    private static boolean same(Object expected, Object actual) {
        if (expected instanceof java.util.Map<?, ?> e && actual instanceof java.util.Map<?, ?> a) {
            return e.entrySet().stream().allMatch(x -> java.util.Objects.equals(x.getValue(), a.get(x.getKey())));
        }
        if (expected instanceof Collection<?> a && actual instanceof Collection<?> b) {
            return new TreeSet<Object>(a).equals(new TreeSet<Object>(b));
        }
        return java.util.Objects.equals(expected, actual);
    }

    static String show(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Collection<?> c) {
            return new TreeSet<Object>(c).toString();
        }
        return v.toString();
    }

    /** The exit a guest step reports when the trace does not ask: NONE. */
    public static GuestExit exitOf(Step step, Outcome out) {
        return step instanceof Step.GuestAccess && out.exit() == null && out.errno() == null ? GuestExit.NONE
                : out.exit();
    }
}
