package kvmsim.actors.cli;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file a command writes ({@code import-strace -o}, {@code report --html}), written whole or not at all: the content goes to a hidden
 * temporary file in the same directory (so the rename is atomic), renamed over the target once
 * complete, and deleted if it never is.
 *
 * <p>The result has the permissions the user expects of a file a command writes:
 * {@link Files#createTempFile} would make the temporary file owner-only (0600), and the rename
 * would hand that on, so it is created as a plain file is (0666 less the umask), and a target
 * that exists keeps its own permissions. Failures are named by the target, the file the user
 * knows, not by the temporary file: {@link #reason} says what went wrong.
 */
final class ReplacedFile implements AutoCloseable {

    private final Path target;
    private final Path temp;
    private final OutputStream out;
    private Writer writer;
    private boolean committed;

    private ReplacedFile(Path target, Path temp, OutputStream out) {
        this.target = target;
        this.temp = temp;
        this.out = out;
    }

    static ReplacedFile create(Path target) throws IOException {
        if (Files.isDirectory(target)) {
            throw new FileSystemException(target.toString(), null, "it is a directory");
        }
        Path dir = target.toAbsolutePath().getParent();
        Path named = target.getParent() != null ? target.getParent() : dir;
        if (!Files.exists(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such directory " + named);
        } else if (!Files.isDirectory(dir)) {
            throw new FileSystemException(dir.toString(), null, named + " is not a directory");
        }
        for (int attempt = 0;; attempt++) {
            Path temp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current()
                    .nextLong() >>> 16) + ".part");
            try {
                // no permission attribute: the file system gives what it gives any new file
                OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return new ReplacedFile(target, temp, new BufferedOutputStream(out, 1 << 16));
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    /** The content as text, in UTF-8. */
    Writer writer() {
        if (writer == null) {
            writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        }
        return writer;
    }

    /** The content as bytes. */
    OutputStream stream() {
        return out;
    }

    private void closeOutput() throws IOException {
        if (writer != null) {
            writer.close();
        } else {
            out.close();
        }
    }

    /** The content is complete: it replaces the target, with the target's permissions if it had some. */
    void commit() throws IOException {
        closeOutput();
        if (Files.exists(target)) {
            try {
                Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(target));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the new file's own permissions stand
            }
        }
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        committed = true;
    }

    /** Without a commit, the temporary file goes and the target stays as it was. */
    @Override
    public void close() {
        if (!committed) {
            try {
                closeOutput();
            } catch (IOException e) {
                // the file is deleted next: what it held does not matter
            }
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // a hidden .part file is left; nothing else can be done
            }
        }
    }

    /** What went wrong, without the file name (the temporary file's, which the user never gave). */
    static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        } else if (e instanceof AccessDeniedException) {
            return "permission denied";
        } else if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        return e.getMessage();
    }
}
