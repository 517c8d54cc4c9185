package kvmsim.domain.trace;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import kvmsim.domain.abi.Cap;
import kvmsim.domain.abi.PageLevel;
import kvmsim.domain.host.PageState;
import kvmsim.domain.vm.PendingOp;

/**
 * A key of a CHECK step (trace-format.md, CHECK): the selectors it needs, how its expected value is
 * written, and whether it reads the x86 MMU (an arm64 VM has no SPTEs, vCPU TLBs or pfn caches in
 * kvmsim, so such a CHECK of one is not modelled).
 */
public enum CheckKey {
    PENDING_OPS("pending_ops", Set.of("vm"), new Value.Names(names(PendingOp.values()), "pending op"), false),
    CAPS("caps", Set.of("vm"), new Value.Names(names(Cap.values()), "cap"), false),
    LOCKED("locked", Set.of("vm", "slot"), new Value.NullOr(List.of("READ", "WRITE")), false),
    DIRTY_LOGGING("dirty_logging", Set.of("vm", "slot"), new Value.Bool(), false),
    DIRTY_PAGES("dirty_pages", Set.of("vm", "slot"), new Value.Pages(), true),
    PAGE("page", Set.of("vm", "gpa"), new Value.Props(List.of("mte_tagged", "pinned", "direct_map")), false),
    SPTE("spte", Set.of("vm", "gpa"), new Value.Props(List.of("present", "writable", "mmu_writable",
            "host_writable", "access_tracked", "level"), java.util.Map.of("level", PageLevel.traceNames())), true),
    TLB("tlb", Set.of("vm", "vcpu", "gpa"), new Value.Tlb(), true),
    CACHE("cache", Set.of("vm", "gpc"), new Value.Props(List.of("active", "valid")), true),
    OWNER("owner", Set.of("host", "pfn"), new Value.OneOf(List.of("host", "hyp", "guest")), false),
    HOST_STATE("host_state", Set.of("host", "pfn"), new Value.OneOf(names(PageState.values())), false),
    HYP_STATE("hyp_state", Set.of("host", "pfn"), new Value.OneOf(names(PageState.values())), false),
    VIOLATIONS("violations", Set.of(), new Value.Invariants(), false);

    /** The selectors of CHECK, in the order messages name them. */
    public static final List<String> SELECTORS = List.of("vm", "slot", "gpa", "vcpu", "gpc", "host", "pfn");

    /** How an expected value is written. */
    public sealed interface Value {
        /** A list of these names, compared as a set [Set of String]. */
        record Names(List<String> names, String what) implements Value {
        }

        /** A list of invariant ids [Set of String]. */
        record Invariants() implements Value {
        }

        /** null or one of these [String]. */
        record NullOr(List<String> values) implements Value {
        }

        /** One of these [String]. */
        record OneOf(List<String> values) implements Value {
        }

        /** true or false [Boolean]. */
        record Bool() implements Value {
        }

        /** Page indexes [List of Long]. */
        record Pages() implements Value {
        }

        /**
         * An object of some of these properties, each true or false, except those {@code choices} names,
         * which are null or one of their strings [Map of String to Boolean or String].
         */
        record Props(List<String> props, java.util.Map<String, List<String>> choices) implements Value {

            public Props(List<String> props) {
                this(props, java.util.Map.of());
            }

            public Props {
                props = List.copyOf(props);
                choices = java.util.Map.copyOf(choices);
            }
        }

        /** null, or {"writable": bool} [Map or null]. */
        record Tlb() implements Value {
        }
    }

    public final String traceName;
    public final Set<String> selectors;
    public final Value value;
    public final boolean x86Only;

    CheckKey(String traceName, Set<String> selectors, Value value, boolean x86Only) {
        this.traceName = traceName;
        this.selectors = selectors;
        this.value = value;
        this.x86Only = x86Only;
    }

    public static CheckKey of(String traceName) {
        for (CheckKey k : values()) {
            if (k.traceName.equals(traceName)) {
                return k;
            }
        }
        return null;
    }

    private static List<String> names(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).toList();
    }
}
