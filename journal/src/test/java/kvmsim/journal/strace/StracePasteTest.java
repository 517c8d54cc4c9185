package kvmsim.journal.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import kvmsim.journal.strace.LineCleaner.Cleaned;
import kvmsim.journal.strace.LineCleaner.Kind;
import org.junit.jupiter.api.Test;

/** The cleaning stage: what is left of a pasted line, and which pasted lines are not strace output. */
class StracePasteTest {

    private static final String CALL = "4721  ioctl(10<anon_inode:kvm-vm>, KVM_CREATE_VCPU, 0) = 11<anon_inode:kvm-vcpu:0>";

    private static Cleaned text(String s) {
        return new Cleaned(Kind.TEXT, s, StraceGrammar.opening(s));
    }

    private static Cleaned skipped(Kind kind) {
        return new Cleaned(kind, null, null);
    }

    @Test
    void indentationAndQuoteMarkersComeOff() {
        assertEquals(text(CALL), LineCleaner.clean(CALL));
        assertEquals(text(CALL), LineCleaner.clean("    " + CALL));
        assertEquals(text(CALL), LineCleaner.clean("\t" + CALL + "  "));
        assertEquals(text(CALL), LineCleaner.clean("\u00a0\u00a0" + CALL), "the no-break spaces of HTML mail");
        assertEquals(text(CALL), LineCleaner.clean("> " + CALL));
        assertEquals(text(CALL), LineCleaner.clean(">> " + CALL));
        assertEquals(text(CALL), LineCleaner.clean("> > " + CALL));
        assertEquals(text(CALL), LineCleaner.clean("  > " + CALL), "an indented quote");
        assertEquals(text("flags=0, guest_phys_addr=0,"), LineCleaner.clean("> flags=0, guest_phys_addr=0,"));
    }

    @Test
    void aMailClientsEllipsisIsStracesDotsAgain() {
        assertEquals(text("2 ioctl(9, KVM_RUN <unfinished ...>"),
                LineCleaner.clean("2 ioctl(9, KVM_RUN <unfinished \u2026>"));
        assertEquals(text("2 <... ioctl resumed>, 0) = 0"), LineCleaner.clean("2 <\u2026 ioctl resumed>, 0) = 0"));
    }

    @Test
    void blankAndCommentLines() {
        assertEquals(skipped(Kind.BLANK), LineCleaner.clean(""));
        assertEquals(skipped(Kind.BLANK), LineCleaner.clean(" \t "));
        assertEquals(skipped(Kind.BLANK), LineCleaner.clean(">"), "a quoted blank line");
        assertEquals(skipped(Kind.BLANK), LineCleaner.clean("> >  "));
        assertEquals(skipped(Kind.COMMENT), LineCleaner.clean("# strace -f -y -e trace=ioctl -p 4721"));
        assertEquals(skipped(Kind.COMMENT), LineCleaner.clean("   # the vCPU thread starts here"));
        assertEquals(skipped(Kind.COMMENT), LineCleaner.clean("> #comment"));
    }

    @Test
    void elisionsAloneOnALine() {
        for (String e : new String[] {"...", "....", ". . .", "\u2026", "[...]", "[ ... ]", "<...>", "(...)", "{...}",
                "<snip>", "[snip]", "(snipped)", "[... 1500 lines omitted ...]", "<... 12 more lines ...>",
                "[trimmed]", "--- snip ---", "-- 8< --", "------8<------", "-- >8 --", "--- cut here ---",
                "\u2702----", "   [...]", "> [...]", "> ..."}) {
            assertEquals(skipped(Kind.ELISION), LineCleaner.clean(e), e);
        }
    }

    @Test
    void markdownFencesAndRules() {
        for (String m : new String[] {"```", "```text", "~~~", "---", "***", "=====", "- - -"}) {
            assertEquals(skipped(Kind.MARKUP), LineCleaner.clean(m), m);
        }
    }

    @Test
    void straceKsStackFramesEndInTheirAddress() {
        assertEquals(skipped(Kind.STACK_FRAME), LineCleaner.clean(" > /usr/lib/x86_64-linux-gnu/libc.so.6(ioctl+0xb) [0xf0bbb]"));
        assertEquals(skipped(Kind.STACK_FRAME), LineCleaner.clean(" > /usr/bin/qemu-system-x86_64(kvm_vcpu_ioctl+0x9c) [0x5a8e1c]"));
        assertEquals(skipped(Kind.STACK_FRAME), LineCleaner.clean(">  > unexpected_backtracing_error [0x7f00]"), "quoted");
    }

    @Test
    void whatLooksLikeStraceOutputIsLeftToTheGrammar() {
        for (String s : new String[] {"--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=1, si_uid=0} ---",
                "+++ exited with 0 +++", "<... ioctl resumed>", "[pid 5] ioctl(3, KVM_RUN, 0) = 0",
                "strace: Process 10498 attached", "$ strace -f -p 1234", "hello"}) {
            assertEquals(text(s), LineCleaner.clean(s), s);
        }
    }
}
