package kvmsim.domain.explore.trace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import kvmsim.domain.trace.Step;

/**
 * A trace cut as trace-format.md's {@code thread} rule says: the set-up prefix every order starts with (the steps before the
 * first step of a thread other than {@code main}), then each thread's steps in file order, threads in order of first appearance.
 *
 * <p>What an exploration leaves out, and why: {@code POLICY} (the run's policies are given apart), {@code IOCTL} steps (passed
 * through, the model does nothing with them) and
 * {@code CHECK} steps (their values hold for the file's order only; {@code violations} CHECKs still say which invariants the
 * trace expects). Implicit host declarations belong to the prefix: a host is declared by the trace, not by a thread, and the
 * declaration only precedes the host's first use (no earlier step can touch a host first used after the prefix).
 *
 * @param prefix       the set-up prefix, modelled steps only
 * @param threads      the threads after the prefix, each non-empty
 * @param checksLeftOut CHECK steps not run (any position)
 * @param expectsLeftOut steps whose {@code expect} is not judged
 */
public record ThreadSplit(List<Step> prefix, List<Thread> threads, int checksLeftOut, int expectsLeftOut) {

    /** One thread after the prefix: its name (the trace's {@code thread} value) and its steps in file order. */
    public record Thread(String name, List<Step> steps) {

        public Thread {
            Objects.requireNonNull(name, "name");
            steps = List.copyOf(steps);
        }
    }

    public static final String MAIN = "main";

    public ThreadSplit {
        prefix = List.copyOf(prefix);
        threads = List.copyOf(threads);
    }

    /** Splits {@code steps} (file order, as a trace source yields them). */
    public static ThreadSplit of(Iterable<Step> steps) {
        List<Step> prefix = new ArrayList<>();
        List<Step> hostsAfterPrefix = new ArrayList<>();
        Map<String, List<Step>> threads = new LinkedHashMap<>();
        boolean inPrefix = true;
        int checks = 0;
        int expects = 0;
        for (Step step : steps) {
            if (step instanceof Step.Check) {
                checks++;
                continue;
            }
            if (step instanceof Step.Ioctl || step instanceof Step.Policy) {
                continue; // passed through; the policies are the run's, not a step's
            }
            if (!step.meta().expect().isEmpty()) {
                expects++;
            }
            if (inPrefix && !step.meta().thread().equals(MAIN)) {
                inPrefix = false;
            }
            if (inPrefix) {
                prefix.add(step);
            } else if (step instanceof Step.HostDecl h && h.implicit()) {
                hostsAfterPrefix.add(step);
            } else {
                threads.computeIfAbsent(step.meta().thread(), t -> new ArrayList<>()).add(step);
            }
        }
        prefix.addAll(hostsAfterPrefix);
        List<Thread> out = new ArrayList<>();
        threads.forEach((name, s) -> out.add(new Thread(name, s)));
        return new ThreadSplit(prefix, out, checks, expects);
    }

    /** The number of steps after the prefix. */
    public int threadSteps() {
        return threads.stream().mapToInt(t -> t.steps().size()).sum();
    }
}
