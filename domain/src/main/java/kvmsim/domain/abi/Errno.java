package kvmsim.domain.abi;

/** The errnos KVM returns, with their Linux numbers (include/uapi/asm-generic/errno-base.h). */
public enum Errno {
    EPERM(1), ENOENT(2), EINTR(4), EIO(5), ENXIO(6), E2BIG(7), ENOEXEC(8), EBADF(9), EAGAIN(11),
    ENOMEM(12), EFAULT(14), EBUSY(16), EEXIST(17), ENODEV(19), EINVAL(22), ENOTTY(25), ENOSPC(28),
    ERANGE(34), EOPNOTSUPP(95), EHWPOISON(133);

    public final int number;

    Errno(int number) {
        this.number = number;
    }

    /** The errno whose name is {@code name}, or null. */
    public static Errno byName(String name) {
        for (Errno e : values()) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
