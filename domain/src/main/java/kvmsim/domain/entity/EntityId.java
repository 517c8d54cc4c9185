package kvmsim.domain.entity;

/**
 * One entity of a run: a host, a VM, a vCPU or a memslot. The key is what follows the run id in
 * the persistence id ({@code run/vm/vm0}, {@code run/vcpu/vm0/1}, {@code run/slot/vm0/65536}).
 */
public record EntityId(Kind kind, String key) implements Comparable<EntityId> {

    public enum Kind {
        HOST("host"), VM("vm"), VCPU("vcpu"), SLOT("slot");

        public final String prefix;

        Kind(String prefix) {
            this.prefix = prefix;
        }
    }

    public static EntityId host(String host) {
        return new EntityId(Kind.HOST, host);
    }

    public static EntityId vm(String vm) {
        return new EntityId(Kind.VM, vm);
    }

    public static EntityId vcpu(String vm, long vcpu) {
        return new EntityId(Kind.VCPU, vm + "/" + vcpu);
    }

    public static EntityId slot(String vm, long slot) {
        return new EntityId(Kind.SLOT, vm + "/" + slot);
    }

    /** {@code vm/vm0}: the entity's name within a run. */
    public String path() {
        return kind.prefix + "/" + key;
    }

    /**
     * Whether {@code path} is the entity {@code prefix} names or lies under it, segment by segment:
     * {@code vm/vm1} names vm1 and not vm10; {@code vcpu/vm0} every vCPU of vm0; {@code vm/} every VM.
     */
    public static boolean isUnder(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix.endsWith("/") ? prefix : prefix + "/");
    }

    /** Parses {@link #path()}. */
    public static EntityId parse(String path) {
        int slash = path.indexOf('/');
        if (slash > 0) {
            String prefix = path.substring(0, slash);
            for (Kind k : Kind.values()) {
                if (k.prefix.equals(prefix)) {
                    return new EntityId(k, path.substring(slash + 1));
                }
            }
        }
        throw new IllegalArgumentException("not an entity path: " + path);
    }

    @Override
    public int compareTo(EntityId o) {
        int c = kind.compareTo(o.kind);
        return c != 0 ? c : key.compareTo(o.key);
    }

    @Override
    public String toString() {
        return path();
    }
}
