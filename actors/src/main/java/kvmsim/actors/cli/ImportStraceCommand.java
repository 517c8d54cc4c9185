package kvmsim.actors.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import kvmsim.domain.abi.Arch;
import kvmsim.journal.io.LineReader;
import kvmsim.journal.strace.StraceFormatException;
import kvmsim.journal.strace.StraceImport;
import kvmsim.journal.strace.StraceImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "import-strace",
        description = "Turn `strace -f -y -e trace=ioctl,mmap,munmap` output of a VMM into a trace whose "
                + "expectations are the real kernel's results. Pasted output is read too: comments, blank lines, "
                + "elisions, indentation, '>' quoting and mail-wrapped lines (docs/strace-import.md).")
final class ImportStraceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "the strace output, or - for standard input")
    String input;

    @Option(names = {"-o", "--output"}, paramLabel = "TRACE",
            description = "write the trace here (written whole or not at all) instead of standard output")
    Path output;

    @Option(names = "--arch", paramLabel = "ARCH",
            description = "the architecture the recording was made on, x86_64 or arm64; without it, the ioctls only "
                    + "one architecture has tell (x86_64 when there are none)")
    String arch;

    @Option(names = "--lenient",
            description = "skip the lines that cannot be read, each named in a warning on standard error, instead of "
                    + "stopping at the first")
    boolean lenient;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return importStrace(err);
        } finally {
            err.flush();
        }
    }

    private int importStrace(PrintWriter err) {
        Arch given = null;
        if (arch != null) {
            given = Arch.byTraceName(arch);
            if (given == null) {
                err.println("--arch takes x86_64 or arm64, not '" + arch + "'");
                return Main.BAD_INPUT;
            }
        }
        String name = input.equals("-") ? "<stdin>" : input;
        Path spool = null;
        try {
            StraceImport.Recording recording;
            if (!input.equals("-")) {
                Path file = Path.of(input);
                recording = () -> LineReader.open(file);
            } else if (given != null) {
                LineReader once = LineReader.of(System.in);
                recording = () -> once;
            } else {
                try {
                    spool = spool(System.in);
                } catch (IOException e) {
                    err.println(name + ": cannot read: " + ReplacedFile.reason(e));
                    return Main.BAD_INPUT;
                }
                Path copy = spool;
                recording = () -> LineReader.open(copy);
            }
            StraceImport.Options options = new StraceImport.Options(given, lenient, err::println);
            StraceImporter.Summary s = output == null ? toStdout(name, recording, options)
                    : toFile(name, recording, options);
            err.println(summary(name, s));
            return 0;
        } catch (StraceFormatException e) {
            err.println(e.getMessage());
            if (e.lineCanBeSkipped()) {
                err.println("import-strace: --lenient skips the lines that cannot be read, each named in a warning");
            }
            return Main.BAD_INPUT;
        } catch (BadInput e) {
            err.println(e.getMessage());
            return Main.BAD_INPUT;
        } finally {
            if (spool != null) {
                try {
                    Files.deleteIfExists(spool);
                } catch (IOException e) {
                    // a copy of standard input is left in the temporary directory; nothing else to do
                }
            }
        }
    }

    private static StraceImporter.Summary toStdout(String name, StraceImport.Recording recording,
            StraceImport.Options options) throws StraceFormatException {
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        StraceImporter.Summary s = StraceImport.run(name, recording, options, out);
        try {
            out.flush();
        } catch (IOException e) {
            throw new BadInput("<stdout>: cannot write: " + ReplacedFile.reason(e));
        }
        return s;
    }

    /** Into the file of -o, whole or not at all; a failure to write names that file and says what failed. */
    private StraceImporter.Summary toFile(String name, StraceImport.Recording recording, StraceImport.Options options)
            throws StraceFormatException {
        try (ReplacedFile target = ReplacedFile.create(output)) {
            StraceImporter.Summary s;
            try {
                s = StraceImport.run(name, recording, options, target.writer());
            } catch (UncheckedIOException e) {
                throw e.getCause(); // the importer's writes: the trace's file failed, not the recording
            }
            target.commit();
            return s;
        } catch (IOException e) {
            throw new BadInput(output + ": cannot write: " + ReplacedFile.reason(e));
        }
    }

    /**
     * Standard input read once into a private temporary file: without --arch the recording is read
     * twice, the first time to infer its architecture.
     */
    private static Path spool(InputStream in) throws IOException {
        Path copy = Files.createTempFile("kvmsim-import-strace", ".strace");
        try (OutputStream out = Files.newOutputStream(copy)) {
            in.transferTo(out);
        } catch (IOException e) {
            Files.deleteIfExists(copy);
            throw e;
        }
        return copy;
    }

    private String summary(String name, StraceImporter.Summary s) {
        StringBuilder b = new StringBuilder(String.format("%s: %d strace lines -> %d steps (%d modelled, %d IOCTL "
                + "passed through), %d results not judged", name, s.lines(), s.steps(), s.modelled(), s.passedThrough(),
                s.notJudged()));
        if (lenient) {
            b.append(", ").append(s.unreadable()).append(s.unreadable() == 1 ? " line skipped" : " lines skipped");
        }
        if (s.arch().note() != null) {
            b.append("; ").append(s.arch().note());
        }
        return b.toString();
    }
}
