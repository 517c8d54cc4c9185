package kvmsim.domain.trace;

import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import kvmsim.domain.kernel.Kernel;
import kvmsim.domain.kernel.Outcome;

/**
 * One trace op, defined once: its name, its fields and how each is written, the expect keys it
 * takes, how a checked line becomes its step, which kernel code the step runs, and where the model
 * does not cover it. The trace reader, the replay and the docs all work from these definitions
 * ({@link Ops}).
 *
 * @param <S> the step it makes
 */
public final class Op<S extends Step> {

    /** Why a step of this op is not modelled where it stands (the trace so far), or null. */
    @FunctionalInterface
    public interface Coverage<S> {
        String notModelled(S step, TraceRules trace);
    }

    private final String name;
    private final Class<S> type;
    private final Predicate<S> is;
    private final List<Field> fields;
    private final Set<String> expect;
    private final Function<Args, S> parse;
    private final BiFunction<Kernel, S, Outcome> apply;
    private final Coverage<S> coverage;

    Op(String name, Class<S> type, Predicate<S> is, List<Field> fields, Set<String> expect, Function<Args, S> parse,
            BiFunction<Kernel, S, Outcome> apply, Coverage<S> coverage) {
        this.name = name;
        this.type = type;
        this.is = is;
        this.fields = List.copyOf(fields);
        this.expect = Set.copyOf(expect);
        this.parse = parse;
        this.apply = apply;
        this.coverage = coverage;
    }

    /** The op's name, as a trace writes it. */
    public String name() {
        return name;
    }

    /** Its fields besides op, thread and expect, in the order they are read. */
    public List<Field> fields() {
        return fields;
    }

    /** The expect keys it takes; empty: it takes no expect. */
    public Set<String> expect() {
        return expect;
    }

    /** The step a line made of these checked fields stands for; a BadStep when the fields contradict each other. */
    public S parse(Args args) {
        return parse.apply(args);
    }

    /** Runs the step's kernel code. */
    public Outcome apply(Kernel kernel, Step step) {
        return apply.apply(kernel, type.cast(step));
    }

    String notModelled(Step step, TraceRules trace) {
        return coverage.notModelled(type.cast(step), trace);
    }

    boolean defines(Step step) {
        return type.isInstance(step) && is.test(type.cast(step));
    }

    Class<S> type() {
        return type;
    }
}
