package kvmsim.domain.trace;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated trace that a replay reads step by step. A file-backed source re-reads its file for
 * every pass over {@link #steps()}, so a replay's memory does not grow with the trace; what a
 * replay needs before its first step (the policy, the violations the trace expects, the steps not
 * modelled yet) is gathered while the source is validated.
 */
public interface TraceSource {

    /** The trace's name in messages. */
    String file();

    /** The POLICY step's values, if the trace starts with one. */
    Map<String, String> policy();

    /** Every invariant some {@code violations} CHECK lists: the bugs the trace means to show. */
    Set<String> expectedViolations();

    /** The steps whose model is not built yet; a replay refuses a trace that has any. */
    List<NotModelled> notModelled();

    /** How many steps {@link #steps()} yields (implicit host declarations included). */
    long stepCount();

    /**
     * What identifies the trace's content, e.g. {@code sha256:...} of its file, so that a run can
     * be resumed only with the trace it ran; null if the source has no stable content to digest.
     */
    default String digest() {
        return null;
    }

    /** The steps in file order; each call starts from the first. */
    Iterable<Step> steps();
}
