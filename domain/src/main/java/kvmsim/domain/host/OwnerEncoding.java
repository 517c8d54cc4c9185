package kvmsim.domain.host;

import kvmsim.domain.abi.Errno;
import kvmsim.domain.policy.Policies;

/**
 * Where an owner id lives in an invalid host stage-2 PTE (seed 002, policy pkvm-owner-bits).
 * <ul>
 * <li>{@code 8}: 5.13 as merged: {@code u8 owner_id}, KVM_INVALID_PTE_OWNER_MASK GENMASK(63, 56),
 * and {@code owner_id > KVM_MAX_OWNER_ID} (1) is -EINVAL.</li>
 * <li>{@code 32}: the v4 RFC under review: {@code u32 owner_id}, GENMASK(63, 32), no range check
 * ("allocating half of the pte feels a bit OTT").</li>
 * </ul>
 * A trace's owner_id reaches the function through its C parameter type, as a caller's wider integer
 * would: an id that does not survive the conversion is written as another owner, which is what
 * invariant pte-owner-range reports.
 */
public enum OwnerEncoding {
    BITS_8(56, 8, 1L),
    BITS_32(32, 32, -1L);

    public final int shift;
    public final int bits;
    /** KVM_MAX_OWNER_ID, or -1 where the version has no check. */
    public final long maxOwnerId;

    OwnerEncoding(int shift, int bits, long maxOwnerId) {
        this.shift = shift;
        this.bits = bits;
        this.maxOwnerId = maxOwnerId;
    }

    public static OwnerEncoding of(Policies p) {
        return "32".equals(p.get(Policies.PKVM_OWNER_BITS)) ? BITS_32 : BITS_8;
    }

    public static OwnerEncoding ofBits(int bits) {
        return bits == 32 ? BITS_32 : BITS_8;
    }

    private long fieldMask() {
        return (1L << bits) - 1;
    }

    /** The value the function's owner_id parameter holds when called with {@code ownerId}. */
    public long parameter(long ownerId) {
        return ownerId & fieldMask();
    }

    /** The range check of kvm_pgtable_stage2_set_owner() on the parameter, or null. */
    public Errno check(long parameter) {
        return maxOwnerId >= 0 && Long.compareUnsigned(parameter, maxOwnerId) > 0 ? Errno.EINVAL : null;
    }

    /** kvm_init_invalid_leaf_owner(): FIELD_PREP(KVM_INVALID_PTE_OWNER_MASK, owner_id). */
    public long annotation(long parameter) {
        return (parameter & fieldMask()) << shift;
    }

    /** The owner id an invalid PTE holds (0 for a zero PTE). */
    public long owner(long pte) {
        return (pte >>> shift) & fieldMask();
    }
}
