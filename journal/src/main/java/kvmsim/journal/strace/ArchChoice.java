package kvmsim.journal.strace;

import kvmsim.domain.abi.Arch;

/**
 * The architecture an import is for, and how it was chosen: given with --arch, inferred from an
 * ioctl only that architecture has ({@code ioctl} at {@code line}, the first one), or assumed
 * because the recording has no such ioctl.
 */
public record ArchChoice(Arch arch, How how, String ioctl, int line) {

    public enum How { GIVEN, INFERRED, ASSUMED }

    /** What kvmsim assumes of a recording that shows no architecture: x86_64, as before there was inference. */
    static final Arch DEFAULT = Arch.X86_64;

    static ArchChoice given(Arch arch) {
        return new ArchChoice(arch, How.GIVEN, null, 0);
    }

    static ArchChoice assumed() {
        return new ArchChoice(DEFAULT, How.ASSUMED, null, 0);
    }

    /** For the summary of an import: how the architecture was chosen; null when the user gave it. */
    public String note() {
        return switch (how) {
            case GIVEN -> null;
            case INFERRED -> "arch " + arch.traceName + " from " + ioctl + " at line " + line;
            case ASSUMED -> "no arch-specific ioctl: assumed " + arch.traceName + "; use --arch";
        };
    }
}
