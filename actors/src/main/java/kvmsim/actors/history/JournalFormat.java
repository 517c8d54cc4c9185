package kvmsim.actors.history;

/**
 * The version of what kvmsim writes to a journal, kept in each run's {@code RunStarted}. A reader
 * refuses a run of a newer format rather than misread it.
 * <ul>
 * <li>1: run log with start and finish only (no field: reads as 0);</li>
 * <li>2: the format recorded, judged steps, event count and the online check's violations. Later
 * additions that an older reader can ignore stay format 2: a step's thread (absent: null), each judged
 * step's events counted by entity (absent: null; {@code audit} then checks sequence numbers only).</li>
 * <li>3: the same events; a memslot's snapshot keeps a huge SPTE once, under its frame's first gfn
 * (format 2 kept it under every 4K gfn of the frame). A format 2 reader would take such a snapshot's
 * huge SPTE for one mapping its first gfn only, so it must refuse the run; this one reads both.</li>
 * </ul>
 */
public final class JournalFormat {

    public static final int CURRENT = 3;

    private JournalFormat() {
    }

    /** The format a RunStarted says it was written in. */
    public static int of(RunLog.RunStarted started) {
        return Math.max(1, started.format());
    }

    /** Thrown when a journal holds a run this kvmsim cannot read. */
    public static final class TooNew extends RuntimeException {
        public TooNew(String message) {
            super(message);
        }
    }
}
