package kvmsim.actors.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import kvmsim.domain.abi.Arch;
import kvmsim.journal.io.LineReader;
import kvmsim.journal.strace.StraceFormatException;
import kvmsim.journal.strace.StraceImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "import-strace",
        description = "Turn `strace -f -y -e trace=ioctl,mmap,munmap` output of a VMM into a trace whose "
                + "expectations are the real kernel's results.")
final class ImportStraceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "the strace output, or - for standard input")
    String input;

    @Option(names = {"-o", "--output"}, paramLabel = "TRACE",
            description = "write the trace here (written whole or not at all) instead of standard output")
    Path output;

    @Option(names = "--arch", defaultValue = "x86_64",
            description = "the architecture the recording was made on: x86_64 (default) or arm64")
    String arch;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Arch a;
        if (arch.equals("x86_64")) {
            a = Arch.X86_64;
        } else if (arch.equals("arm64")) {
            a = Arch.ARM64;
        } else {
            err.println("--arch takes x86_64 or arm64, not '" + arch + "'");
            return Main.BAD_INPUT;
        }
        String name = input.equals("-") ? "<stdin>" : input;
        Path tmp = null;
        try (LineReader in = input.equals("-") ? LineReader.of(System.in) : LineReader.open(Path.of(input))) {
            Writer out;
            if (output != null) {
                Path dir = output.toAbsolutePath().getParent();
                tmp = Files.createTempFile(dir, "." + output.getFileName(), ".part");
                out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
            } else {
                out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
            }
            StraceImporter.Summary s;
            try {
                s = StraceImporter.importLines(name, in, a, out);
            } finally {
                if (output != null) {
                    out.close();
                } else {
                    out.flush();
                }
            }
            if (tmp != null) {
                Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                tmp = null;
            }
            err.printf("%s: %d strace lines -> %d steps (%d modelled, %d IOCTL passed through), %d results not "
                    + "judged%n", name, s.lines(), s.steps(), s.modelled(), s.passedThrough(), s.notJudged());
            return 0;
        } catch (StraceFormatException e) {
            err.println(e.getMessage());
            return Main.BAD_INPUT;
        } catch (NoSuchFileException e) {
            err.println(e.getFile() + ": cannot read: no such file");
            return Main.BAD_INPUT;
        } catch (AccessDeniedException e) {
            err.println(e.getFile() + ": permission denied");
            return Main.BAD_INPUT;
        } catch (IOException | UncheckedIOException e) {
            err.println(name + ": " + e.getMessage());
            return Main.BAD_INPUT;
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the partial file is named .*.part; nothing else to do
                }
            }
            err.flush();
        }
    }
}
