package kvmsim.domain.vcpu;

public enum GuestAccessKind {
    READ, WRITE, EXEC
}
