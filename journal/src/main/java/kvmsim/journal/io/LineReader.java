package kvmsim.journal.io;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a text file one line at a time, in constant memory, decoding each line as strict UTF-8 so
 * that a bad byte is reported on its own line. A leading byte-order mark and a trailing carriage
 * return are dropped. Traces and strace recordings both come through here.
 */
public final class LineReader implements Closeable {

    private final InputStream in;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
    private int lineNumber;
    private boolean eof;

    private LineReader(InputStream in) {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
    }

    public static LineReader open(Path path) throws IOException {
        return new LineReader(Files.newInputStream(path));
    }

    public static LineReader of(InputStream in) {
        return new LineReader(in);
    }

    /** The number of the line {@link #next()} returned last (1-based). */
    public int lineNumber() {
        return lineNumber;
    }

    /**
     * The next line without its end-of-line, or null at the end.
     *
     * @throws CharacterCodingException the line is not valid UTF-8; {@link #lineNumber()} names it
     */
    public String next() throws IOException {
        if (eof) {
            return null;
        }
        buf.reset();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            buf.write(b);
        }
        if (b < 0) {
            eof = true;
            if (buf.size() == 0) {
                return null;
            }
        }
        lineNumber++;
        String text = utf8.reset().decode(ByteBuffer.wrap(buf.toByteArray())).toString();
        if (lineNumber == 1 && text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        return text;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
