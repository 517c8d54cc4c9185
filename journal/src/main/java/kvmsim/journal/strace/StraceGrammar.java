package kvmsim.journal.strace;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one line of strace output as strace's own printer writes it: the optional pid prefix
 * ({@code 123 }, {@code [pid 123] }, either with {@code <comm>} under {@code -Y}), timestamps of
 * {@code -t}/{@code -tt}/{@code -ttt}/{@code -r}, {@code -i} instruction pointers and {@code -n}
 * syscall numbers, then a call, an unfinished or resumed half, a signal, an exit, a {@code -k}
 * stack frame or a message of strace's own; {@code -T} durations are dropped.
 */
final class StraceGrammar {

    private StraceGrammar() {
    }

    /** Why a line is not strace output. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String reason) {
            super(reason, null, false, false);
        }
    }

    private static final Pattern PID = Pattern.compile("^(?:\\[pid\\s+(\\d+)(?:<[^>]*>)?\\]|(\\d+)(?:<[^>]*>)?)\\s+");
    private static final Pattern TIMESTAMP = Pattern.compile(
            "^\\s*(?:\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?|\\d+\\.\\d{1,9}|\\d{4}-\\d{2}-\\d{2}T\\S+)\\s+");
    private static final Pattern IP_OR_SCNO = Pattern.compile("^\\[\\s*(?:[0-9a-f?]{8,16}|\\d+)\\]\\s+");
    private static final Pattern NAME = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)\\(");
    private static final Pattern RESUMED = Pattern.compile("^<\\.\\.\\. ([A-Za-z_][A-Za-z0-9_]*) resumed>(.*)$");
    private static final Pattern RESUMED_HEAD = Pattern.compile("<\\.\\.\\. [A-Za-z_][A-Za-z0-9_]* resumed>");
    private static final Pattern NUMBER = Pattern.compile("^(0[xX][0-9a-fA-F]+|-?\\d+)");
    private static final Pattern ERRNO = Pattern.compile("^(E[A-Z0-9_]+|ERRNO_\\d+)(?:\\s+\\(.*\\))?$");
    private static final String UNFINISHED = " <unfinished ...>";

    static StraceLine parse(String text) throws Malformed {
        String s = text.stripTrailing();
        if (s.isBlank()) {
            return new StraceLine.Noise(null, StraceLine.Noise.Kind.BLANK);
        }
        if (s.startsWith("strace: ") || s.startsWith("[ Process PID=")) {
            return new StraceLine.Noise(null, StraceLine.Noise.Kind.STRACE_MESSAGE);
        }
        if (s.startsWith(" > ")) {
            return new StraceLine.Noise(null, StraceLine.Noise.Kind.STACK_FRAME);
        }
        Prefix prefix = prefix(s);
        String pid = prefix.pid();
        s = s.substring(prefix.end());
        if (s.startsWith("--- ") && s.endsWith(" ---")) {
            return new StraceLine.Noise(pid, StraceLine.Noise.Kind.SIGNAL);
        }
        if (s.startsWith("+++ ") && s.endsWith(" +++")) {
            return new StraceLine.Noise(pid, StraceLine.Noise.Kind.EXIT);
        }
        s = withoutDuration(s);
        Matcher m = RESUMED.matcher(s);
        if (m.matches()) {
            return new StraceLine.Resumed(pid, m.group(1), m.group(2));
        }
        m = NAME.matcher(s);
        if (!m.lookingAt()) {
            throw new Malformed("not strace output: expected a system call such as 'ioctl(...) = 0', a signal "
                    + "('--- SIG... ---') or an exit ('+++ ... +++')");
        }
        String name = m.group(1);
        if (s.endsWith(UNFINISHED)) {
            return new StraceLine.Unfinished(pid, name, s.substring(0, s.length() - UNFINISHED.length()));
        }
        return call(pid, name, s, m.end());
    }

    /**
     * What strace may print before a call: the pid (null if none), one or two timestamps, an
     * instruction pointer or syscall number; {@code end} is the index just past them.
     */
    private record Prefix(String pid, int end) {
    }

    private static Prefix prefix(String s) {
        // each pattern is tried only where its first character is: every line comes here twice
        int at = 0;
        String pid = null;
        if (isDigitAt(s, 0) || s.startsWith("[pid")) {
            Matcher m = PID.matcher(s);
            // "123 " is a pid, but under -ttt a line may start with "1700000000.123 ": the timestamp wins
            if (m.lookingAt() && !TIMESTAMP.matcher(s).lookingAt()) {
                pid = m.group(1) != null ? m.group(1) : m.group(2);
                at = m.end();
            }
        }
        for (int i = 0; i < 2 && (isDigitAt(s, at) || at < s.length() && Character.isWhitespace(s.charAt(at))); i++) {
            Matcher m = TIMESTAMP.matcher(s).region(at, s.length());
            if (m.lookingAt()) {
                at = m.end();
            }
        }
        if (s.startsWith("[", at)) {
            Matcher m = IP_OR_SCNO.matcher(s).region(at, s.length());
            if (m.lookingAt()) {
                at = m.end();
            }
        }
        return new Prefix(pid, at);
    }

    private static boolean isDigitAt(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
    }

    /** How a line begins: what strace starts a line with, or NONE for text that strace does not start a line with. */
    enum Start { CALL, RESUMED, SIGNAL, EXIT, MESSAGE, NONE }

    /**
     * How {@code s} (without indentation) begins, and for a call or a resumed half where its
     * arguments begin ({@code body}: just past {@code name(} or {@code resumed>}). This tells a
     * line that strace started from a piece of a line that a mail client wrapped, so it is
     * stricter than {@link #parse}: a call's name must be lower case, as system call names are
     * (a wrapped piece may well begin with {@code _IOC(} or {@code KVM_CAP_X(}), and a signal
     * line must name a signal ({@code --- snip ---} is an elision, not a signal).
     */
    record Opening(Start start, int body) {
    }

    static Opening opening(String s) {
        if (s.startsWith("strace: ") || s.startsWith("[ Process PID=")) {
            return new Opening(Start.MESSAGE, 0);
        }
        int at = prefix(s).end();
        if (s.startsWith("--- SIG", at) || s.startsWith("--- stopped by ", at)) {
            return new Opening(Start.SIGNAL, at);
        } else if (s.startsWith("+++ ", at)) {
            return new Opening(Start.EXIT, at);
        } else if (s.startsWith("<... ", at)) {
            Matcher r = RESUMED_HEAD.matcher(s).region(at, s.length());
            return r.lookingAt() ? new Opening(Start.RESUMED, r.end()) : new Opening(Start.NONE, 0);
        }
        int i = at;
        while (i < s.length() && (s.charAt(i) >= 'a' && s.charAt(i) <= 'z' || s.charAt(i) == '_'
                || i > at && s.charAt(i) >= '0' && s.charAt(i) <= '9')) {
            i++;
        }
        return i > at && s.startsWith("(", i) ? new Opening(Start.CALL, i + 1) : new Opening(Start.NONE, 0);
    }

    /**
     * {@code s} without the {@code -T} duration at its end ({@code = 0 <0.000021>}). Read from the
     * end by hand: a regex like {@code \s+<\d+\.\d+>$} tried at every position is quadratic in
     * a line of many blanks (200,000 spaces took minutes).
     */
    static String withoutDuration(String s) {
        if (!s.endsWith(">")) {
            return s;
        }
        int open = s.lastIndexOf('<');
        if (open < 1 || !Character.isWhitespace(s.charAt(open - 1)) || !isDecimal(s, open + 1, s.length() - 1)) {
            return s;
        }
        int end = open - 1;
        while (end > 0 && Character.isWhitespace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /** Whether s[from, to) is {@code digits.digits}. */
    private static boolean isDecimal(String s, int from, int to) {
        int dot = s.indexOf('.', from);
        if (dot <= from || dot >= to - 1) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (i != dot && (s.charAt(i) < '0' || s.charAt(i) > '9')) {
                return false;
            }
        }
        return true;
    }

    /** Joins the two halves of a call that strace split, as if it had been printed on one line. */
    static StraceLine.Call join(String pid, String head, String tail) throws Malformed {
        String s = withoutDuration(head + tail);
        Matcher m = NAME.matcher(s);
        if (!m.lookingAt()) {
            throw new Malformed("the unfinished half does not start with a system call");
        }
        return call(pid, m.group(1), s, m.end());
    }

    private static StraceLine.Call call(String pid, String name, String s, int argsStart) throws Malformed {
        int close = matchingParen(s, argsStart);
        if (close < 0) {
            throw new Malformed("truncated system call: '" + name + "(' is never closed and has no result");
        }
        String rest = s.substring(close + 1).strip();
        if (!rest.startsWith("=")) {
            throw new Malformed("system call '" + name + "' without a result ('= ...' after its arguments)");
        }
        return new StraceLine.Call(pid, name, splitArgs(s.substring(argsStart, close)), result(rest.substring(1).strip()));
    }

    /** The index of the ')' that closes the '(' just before {@code from}, or -1. */
    private static int matchingParen(String s, int from) {
        return scan(s, from, null);
    }

    /** Splits an argument list (or a struct's fields) at its top-level commas. */
    static List<String> splitArgs(String args) {
        List<Integer> commas = new ArrayList<>();
        scan(args, 0, commas);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int comma : commas) {
            out.add(args.substring(start, comma).strip());
            start = comma + 1;
        }
        String last = args.substring(start).strip();
        if (!last.isEmpty() || !out.isEmpty()) {
            out.add(last);
        }
        return out;
    }

    /**
     * Walks {@code s} from {@code from} as the inside of one open '(', skipping quoted strings and
     * {@code -y} names in '<...>': returns the index of the ')' that closes it (-1 if none, or if a
     * '}' or ']' closes it instead), and adds the index of each top-level comma to {@code commas}.
     */
    private static int scan(String s, int from, List<Integer> commas) {
        ArgScanner args = new ArgScanner();
        for (int i = from; i < s.length(); i++) {
            switch (args.next(s.charAt(i))) {
                case CLOSED_PAREN -> {
                    return i;
                }
                case CLOSED_OTHER -> {
                    return -1;
                }
                case TOP_COMMA -> {
                    if (commas != null) {
                        commas.add(i);
                    }
                }
                case NONE -> {
                }
            }
        }
        return -1;
    }

    private static StraceLine.Result result(String r) throws Malformed {
        if (r.equals("?") || r.startsWith("? ")) {
            // "= ?": the process went away inside the call; "= ? ERESTARTSYS (...)": a signal
            // interrupted it and the kernel restarts it, so strace prints the restarted call again.
            String errno = r.startsWith("? ") ? r.substring(2).split("\\s+")[0] : null;
            return new StraceLine.Result(null, null, errno, null);
        }
        Matcher m = NUMBER.matcher(r);
        if (!m.lookingAt()) {
            throw new Malformed("cannot read the result '" + r + "'");
        }
        Long value = number(m.group(1));
        if (value == null) {
            throw new Malformed("result '" + m.group(1) + "' is out of range");
        }
        String rest = r.substring(m.end());
        String fdPath = null;
        if (rest.startsWith("<")) {
            int end = closingAngle(rest);
            if (end < 0) {
                throw new Malformed("cannot read the result '" + r + "': unclosed '<'");
            }
            fdPath = rest.substring(1, end);
            rest = rest.substring(end + 1);
        }
        rest = rest.strip();
        String errno = null;
        String note = null;
        if (value == -1 && !rest.isEmpty() && rest.charAt(0) == 'E') {
            Matcher e = ERRNO.matcher(rest);
            if (!e.matches()) {
                throw new Malformed("cannot read the errno of '" + r + "'");
            }
            errno = e.group(1);
        } else if (rest.startsWith("(") && rest.endsWith(")")) {
            note = rest.substring(1, rest.length() - 1);
        } else if (rest.startsWith("/*") && rest.endsWith("*/")) {
            note = rest.substring(2, rest.length() - 2).strip(); // -X verbose
        } else if (!rest.isEmpty()) {
            throw new Malformed("cannot read the result '" + r + "'");
        }
        return new StraceLine.Result(value, fdPath, errno, note);
    }

    /** The index of the '>' that closes the '<' at 0, counting nested pairs (-yy prints {@code 3</dev/kvm<char 10:232>>}). */
    static int closingAngle(String s) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '<') {
                depth++;
            } else if (s.charAt(i) == '>') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** A decimal or hex number as strace prints it, as a signed 64-bit value; null if it does not fit. */
    static Long number(String text) {
        try {
            if (text.startsWith("0x") || text.startsWith("0X")) {
                String hex = text.substring(2);
                return hex.length() > 16 ? null : Long.parseUnsignedLong(hex, 16);
            }
            if (text.startsWith("-")) {
                return Long.parseLong(text);
            }
            return Long.parseUnsignedLong(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
