package kvmsim.domain.abi;

public enum Arch {
    ARM64("arm64"), X86_64("x86_64");

    public final String traceName;

    Arch(String traceName) {
        this.traceName = traceName;
    }

    public static Arch byTraceName(String name) {
        for (Arch a : values()) {
            if (a.traceName.equals(name)) {
                return a;
            }
        }
        return null;
    }
}
