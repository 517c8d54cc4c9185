package kvmsim.journal.strace;

import java.util.Locale;
import java.util.Set;

/**
 * The first stage of reading a recording: takes one physical line as a person pasted it (into a
 * mail, an issue, a chat) and tells what it is. strace output comes back without the pasting:
 *
 * <ul>
 * <li>indentation (spaces, tabs, the no-break spaces of HTML mail) is dropped;
 * <li>quote markers are dropped: {@code >} at the start of the line, nested or not ({@code > },
 *     {@code >> }, {@code > > }), after indentation too;
 * <li>an ellipsis character {@code …} that a mail client made of {@code ...} is made {@code ...}
 *     again, and a no-break space a space: strace escapes every non-ASCII byte, so neither is its own.
 * </ul>
 *
 * Lines that are not strace output but belong to a paste are told apart, to be skipped:
 * blank lines, comments ({@code #} first), elisions alone on a line ({@code ...}, {@code [...]},
 * {@code <snip>}, {@code [... 200 lines omitted ...]}, {@code --- snip ---}, {@code -- 8< --}),
 * Markdown code fences and rules ({@code ```text}, {@code ~~~}, {@code ----}), and the stack
 * frames of {@code strace -k} ({@code  > /usr/lib/libc.so.6(ioctl+0xb) [0x10fbb]}), which end
 * with {@code ]} as no line of strace's own does; that is what tells them from a quoted line.
 *
 * Linear in the line: one pass over its indentation and markers, one copy of the rest.
 */
final class LineCleaner {

    private LineCleaner() {
    }

    enum Kind {
        TEXT, BLANK, COMMENT, ELISION, MARKUP, STACK_FRAME;

        /** The name of its count in the import's summary ("comment lines"). */
        String counted() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ') + " lines";
        }
    }

    /**
     * What a line is, and for TEXT what strace printed, without indentation or quote markers, and
     * how it begins (worked out here anyway, and what the joining stage needs next).
     */
    record Cleaned(Kind kind, String text, StraceGrammar.Opening opening) {
    }

    /** The words a person puts in place of the lines left out. */
    private static final Set<String> ELIDED = Set.of("snip", "snipped", "cut", "cut here", "omitted", "elided",
            "trimmed", "truncated", "skipped", "more", "8<", ">8", "%<", ">%", "...");
    private static final String SCISSOR_FRILL = "-=*~_ \u2702";

    static Cleaned clean(String raw) {
        int n = raw.length();
        int at = skipBlank(raw, 0);
        boolean quoted = false;
        while (at < n && raw.charAt(at) == '>') {
            quoted = true;
            at = skipBlank(raw, at + 1);
        }
        if (at == n) {
            return skipped(Kind.BLANK);
        }
        String text = raw.substring(at).stripTrailing();
        if (text.indexOf('\u2026') >= 0 || text.indexOf('\u00a0') >= 0) {
            text = text.replace("\u2026", "...").replace('\u00a0', ' ');
        }
        if (text.charAt(0) == '#') {
            return skipped(Kind.COMMENT);
        } else if (quoted && text.endsWith("]")) {
            return skipped(isElision(text) ? Kind.ELISION : Kind.STACK_FRAME);
        }
        // most lines are strace's: no elision or Markdown begins as one does
        StraceGrammar.Opening opening = StraceGrammar.opening(text);
        if (opening.start() != StraceGrammar.Start.NONE) {
            return new Cleaned(Kind.TEXT, text, opening);
        } else if (isElision(text)) {
            return skipped(Kind.ELISION);
        } else if (isMarkup(text)) {
            return skipped(Kind.MARKUP);
        }
        return new Cleaned(Kind.TEXT, text, opening);
    }

    private static Cleaned skipped(Kind kind) {
        return new Cleaned(kind, null, null);
    }

    /** Blanks of a paste: what {@link Character#isWhitespace} says, and the no-break space it leaves out. */
    private static int skipBlank(String s, int from) {
        int i = from;
        while (i < s.length() && (Character.isWhitespace(s.charAt(i)) || s.charAt(i) == '\u00a0')) {
            i++;
        }
        return i;
    }

    /**
     * {@code ...} (dots alone, spaced or not), a bracketed note of what was left out ({@code [...]},
     * {@code <snip>}, {@code (... 12 lines omitted ...)}) or a scissors line ({@code --- snip ---},
     * {@code -- >8 --}).
     */
    static boolean isElision(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        if (t.chars().allMatch(c -> c == '.' || c == ' ') && t.chars().filter(c -> c == '.').count() >= 3) {
            return true;
        }
        char first = t.charAt(0);
        char last = t.charAt(t.length() - 1);
        int pair = "[<({".indexOf(first);
        if (pair >= 0 && last == "]>)}".charAt(pair) && t.length() >= 3) {
            return isNote(t.substring(1, t.length() - 1).strip());
        }
        int from = 0;
        int to = t.length();
        while (from < to && SCISSOR_FRILL.indexOf(t.charAt(from)) >= 0) {
            from++;
        }
        while (to > from && SCISSOR_FRILL.indexOf(t.charAt(to - 1)) >= 0) {
            to--;
        }
        String core = t.substring(from, to);
        return from > 0 && to < t.length() && ELIDED.contains(core) || core.isEmpty() && t.indexOf('\u2702') >= 0;
    }

    /** The inside of a bracketed elision: words of leaving out, numbers and dots only ("... 200 lines omitted ..."). */
    private static boolean isNote(String inner) {
        if (inner.isEmpty()) {
            return false;
        }
        boolean said = false;
        for (String word : inner.split("[\\s.]+")) {
            if (word.isEmpty() || word.chars().allMatch(Character::isDigit) || word.equals("lines")
                    || word.equals("line") || word.equals("here")) {
                continue;
            }
            if (!ELIDED.contains(word)) {
                return false;
            }
            said = true;
        }
        return said || inner.contains("...");
    }

    /** A Markdown code fence ({@code ```}, {@code ~~~c}) or rule ({@code ---}, {@code ***}, {@code ___}). */
    static boolean isMarkup(String text) {
        if (text.startsWith("```") || text.startsWith("~~~")) {
            return true;
        }
        char c = text.charAt(0);
        return text.length() >= 3 && "-*_=".indexOf(c) >= 0 && text.chars().allMatch(x -> x == c || x == ' ');
    }
}
