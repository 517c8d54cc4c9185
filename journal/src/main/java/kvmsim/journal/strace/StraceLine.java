package kvmsim.journal.strace;

import java.util.List;

/**
 * One line of {@code strace -f} output, read by {@link StraceGrammar}. {@code pid} is the process
 * or thread id of the prefix ({@code 123 } or {@code [pid 123] }), or null for a line without one.
 */
sealed interface StraceLine {

    String pid();

    /** A complete system call: {@code name(args) = result}. */
    record Call(String pid, String name, List<String> args, Result result) implements StraceLine {
    }

    /** The first half of a call that another thread's output interrupted: {@code name(args <unfinished ...>}. */
    record Unfinished(String pid, String name, String head) implements StraceLine {
    }

    /** The second half: {@code <... name resumed>tail}. */
    record Resumed(String pid, String name, String tail) implements StraceLine {
    }

    /** A signal ({@code --- SIGUSR1 ... ---}), an exit ({@code +++ exited with 0 +++}) or a message of strace's own. */
    record Noise(String pid, Kind kind) implements StraceLine {
        enum Kind { SIGNAL, EXIT, STRACE_MESSAGE, STACK_FRAME, BLANK }
    }

    /**
     * What a call returned: {@code value} (null for {@code ?}, a call that never returned), the
     * {@code -y} decoration of a returned fd, the errno name of a failure, and strace's note in
     * parentheses after a success (the exit reason of {@code KVM_RUN} under {@code --kvm=vcpu}).
     */
    record Result(Long value, String fdPath, String errno, String note) {
        boolean failed() {
            return errno != null;
        }
    }
}
