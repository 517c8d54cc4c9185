package kvmsim.journal.strace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import kvmsim.domain.abi.Arch;

/**
 * The first pass of an import without {@code --arch}: reads the whole recording for the ioctls
 * that only one architecture has ({@link IoctlArch}) and decides from all of them, so that a
 * recording whose only arm64 ioctl comes late is not half imported as x86_64 first. Memory holds
 * the first such ioctl of each architecture.
 */
final class ArchInference implements StraceReader.Lines {

    private record Seen(IoctlArch arch, String ioctl, int line) {
        String described() {
            return arch.displayName() + "'s " + ioctl + " at line " + line;
        }
    }

    private final Map<IoctlArch, Seen> first = new EnumMap<>(IoctlArch.class);

    @Override
    public void skipped(int line, LineCleaner.Kind kind) {
    }

    @Override
    public void undecodable(int line) {
        // the import names it; it holds no ioctl name anyway
    }

    @Override
    public void line(LineJoiner.Joined line) {
        String request = request(line.text());
        IoctlArch arch = request == null ? null : IoctlArch.of(request);
        if (arch != null) {
            first.putIfAbsent(arch, new Seen(arch, request, line.first()));
        }
    }

    /**
     * The KVM request of an ioctl line, whole or only its unfinished half (which holds the
     * request); null for any other line, and for one the grammar cannot read (the import says why).
     */
    static String request(String text) {
        if (!text.contains("ioctl(")) {
            return null; // the first pass reads every line: spare the grammar the mmaps, signals and resumptions
        }
        StraceLine parsed;
        try {
            parsed = StraceGrammar.parse(text);
        } catch (StraceGrammar.Malformed e) {
            return null;
        }
        List<String> args;
        if (parsed instanceof StraceLine.Call c && c.name().equals("ioctl")) {
            args = c.args();
        } else if (parsed instanceof StraceLine.Unfinished u && u.name().equals("ioctl")) {
            args = StraceGrammar.splitArgs(u.head().substring(u.head().indexOf('(') + 1));
        } else {
            return null;
        }
        if (args.size() < 2) {
            return null;
        }
        String name = IoctlRequest.name(args.get(1));
        return name.startsWith("KVM_") ? name : null;
    }

    /**
     * The architecture of the whole recording: the one its arch-only ioctls show, x86_64 if it
     * shows none; an error for one kvmsim does not model, or for ioctls of two architectures.
     */
    ArchChoice decide(String file) throws StraceFormatException {
        if (first.isEmpty()) {
            return ArchChoice.assumed();
        }
        List<Seen> seen = new ArrayList<>(first.values());
        seen.sort(Comparator.comparingInt(Seen::line));
        if (seen.size() > 1) {
            throw new StraceFormatException(file, 0, "ioctls of more than one architecture: "
                    + seen.stream().map(Seen::described).collect(Collectors.joining(", "))
                    + "; a recording is made on one machine: pass --arch to import it anyway");
        }
        Seen s = seen.get(0);
        if (s.arch().modelled == null) {
            throw new StraceFormatException(file, s.line(), s.ioctl() + " is an ioctl of " + s.arch().displayName()
                    + " only: this is a recording of " + s.arch().displayName() + ", and kvmsim models "
                    + Arrays.stream(Arch.values()).map(a -> a.traceName).collect(Collectors.joining(" and ")) + " only");
        }
        return new ArchChoice(s.arch().modelled, ArchChoice.How.INFERRED, s.ioctl(), s.line());
    }
}
