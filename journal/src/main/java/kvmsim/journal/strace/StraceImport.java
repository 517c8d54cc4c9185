package kvmsim.journal.strace;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.function.Consumer;
import kvmsim.domain.abi.Arch;
import kvmsim.journal.io.LineReader;

/**
 * An import as the CLI runs it: decides the recording's architecture (a first pass over it,
 * unless it was given), then reads it through {@link StraceImporter}, skipping the lines it
 * cannot read when lenient. Each pass holds one line at a time.
 */
public final class StraceImport {

    /**
     * @param arch the architecture given with --arch; null: inferred from the recording
     * @param lenient skip a line that cannot be read (a warning and a comment for each) instead of stopping there
     * @param warnings where warnings go, one line each, {@code FILE:LINE: ...}
     */
    public record Options(Arch arch, boolean lenient, Consumer<String> warnings) {
    }

    /** A recording that can be read more than once: without --arch, the inference reads it before the import. */
    @FunctionalInterface
    public interface Recording {
        LineReader open() throws IOException;
    }

    private StraceImport() {
    }

    public static StraceImporter.Summary run(String file, Recording recording, Options options, Writer out)
            throws StraceFormatException {
        ArchChoice arch;
        if (options.arch() != null) {
            arch = ArchChoice.given(options.arch());
        } else {
            ArchInference inference = new ArchInference();
            read(file, recording, inference);
            arch = inference.decide(file);
        }
        StraceImporter importer = new StraceImporter(file, arch, options.lenient(), out, options.warnings());
        Lines lines = new Lines(file, importer, options);
        int read = read(file, recording, lines);
        return importer.finish(read, lines.unreadable);
    }

    private static int read(String file, Recording recording, StraceReader.Lines lines) throws StraceFormatException {
        try (LineReader in = recording.open()) {
            return StraceReader.read(in, lines);
        } catch (NoSuchFileException e) {
            throw new StraceFormatException(file, 0, "cannot read: no such file", e);
        } catch (AccessDeniedException e) {
            throw new StraceFormatException(file, 0, "cannot read: permission denied", e);
        } catch (IOException e) {
            throw new StraceFormatException(file, 0, "cannot read: " + e.getMessage(), e);
        }
    }

    /** The import's side of the reading: each line to the importer, and a line it cannot read skipped or fatal. */
    private static final class Lines implements StraceReader.Lines {
        private final String file;
        private final StraceImporter importer;
        private final Options options;
        long unreadable;

        Lines(String file, StraceImporter importer, Options options) {
            this.file = file;
            this.importer = importer;
            this.options = options;
        }

        @Override
        public void skipped(int line, LineCleaner.Kind kind) {
            importer.skipped(kind);
        }

        @Override
        public void line(LineJoiner.Joined line) throws StraceFormatException {
            try {
                importer.line(line);
            } catch (StraceFormatException e) {
                if (!e.lineCanBeSkipped()) {
                    throw e;
                }
                String reason = line.last() > line.first()
                        ? e.reason() + " (lines " + line.lines() + ", joined as one wrapped line)" : e.reason();
                unreadable(line.first(), reason, line.text());
            }
        }

        @Override
        public void undecodable(int line) throws StraceFormatException {
            unreadable(line, "not valid UTF-8", null);
        }

        private void unreadable(int line, String reason, String text) throws StraceFormatException {
            if (!options.lenient()) {
                throw StraceFormatException.unreadableLine(file, line, reason);
            }
            unreadable++;
            importer.unreadable(line, reason, text);
            options.warnings().accept(file + ":" + line + ": skipped: " + reason);
        }
    }
}
