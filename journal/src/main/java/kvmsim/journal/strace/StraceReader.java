package kvmsim.journal.strace;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import kvmsim.journal.io.LineReader;

/**
 * Reads a recording line by line through {@link LineCleaner} and {@link LineJoiner}: what both
 * the arch inference and the import see. Holds one line (or one wrapped line) at a time.
 */
final class StraceReader {

    private StraceReader() {
    }

    /** What the stages make of the recording, in its order. */
    interface Lines {
        /** A line that is not strace output but belongs to a paste (blank, comment, elision, ...). */
        void skipped(int line, LineCleaner.Kind kind) throws StraceFormatException;

        /** A line of strace output, as strace printed it. */
        void line(LineJoiner.Joined line) throws StraceFormatException;

        /** A line that is not valid UTF-8 (strace escapes every byte that is not ASCII: a paste broke it). */
        void undecodable(int line) throws StraceFormatException;
    }

    /** Reads all of {@code in} into {@code lines}; returns the number of physical lines read. */
    static int read(LineReader in, Lines lines) throws IOException, StraceFormatException {
        LineJoiner joiner = new LineJoiner(lines::line);
        while (true) {
            String raw;
            try {
                raw = in.next();
            } catch (CharacterCodingException e) {
                joiner.flush();
                lines.undecodable(in.lineNumber());
                continue;
            }
            if (raw == null) {
                break;
            }
            LineCleaner.Cleaned c = LineCleaner.clean(raw);
            if (c.kind() == LineCleaner.Kind.TEXT) {
                joiner.text(in.lineNumber(), c.text(), c.opening());
            } else {
                joiner.flush();
                lines.skipped(in.lineNumber(), c.kind());
            }
        }
        joiner.flush();
        return in.lineNumber();
    }
}
