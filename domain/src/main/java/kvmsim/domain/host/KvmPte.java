package kvmsim.domain.host;

/**
 * An arm64 stage-2 descriptor (kvm_pte_t) with a 4K granule, as arch/arm64/kvm/hyp/pgtable.c
 * builds it. The host stage-2 is an identity map, so a leaf's output address is its IPA.
 */
public final class KvmPte {

    public static final long VALID = 1L; // KVM_PTE_VALID
    /** KVM_PTE_TYPE: a table below the last level, a page at the last level; clear for a block. */
    public static final long TYPE = 1L << 1;
    public static final long ADDR_MASK = 0x0000_ffff_ffff_f000L; // KVM_PTE_ADDR_MASK, GENMASK(47, 12)
    /** S2 MemAttr[5:2]: 0b1111 normal write-back, 0b0001 Device-nGnRE (stage2_set_prot_attr). */
    public static final long MEMATTR_NORMAL = 0xfL << 2;
    public static final long MEMATTR_DEVICE = 0x1L << 2;
    public static final long MEMATTR_MASK = 0xfL << 2; // KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR
    /** KVM_PTE_LEAF_ATTR_S2_IGNORED, GENMASK(58, 55): the software bits, page state among them. */
    public static final long SW_IGNORED_MASK = 0xfL << 55;
    public static final long S2AP_R = 1L << 6; // KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R
    public static final long S2AP_W = 1L << 7; // KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W
    public static final long SH_IS = 3L << 8; // inner shareable
    public static final long AF = 1L << 10; // KVM_PTE_LEAF_ATTR_LO_S2_AF
    public static final long S2_XN = 1L << 54; // KVM_PTE_LEAF_ATTR_HI_S2_XN
    /** KVM_PGTABLE_PROT_SW0, PKVM_PAGE_SHARED_OWNED in the host's valid PTEs (5.15). */
    public static final long SW0 = 1L << 55;
    /** KVM_PGTABLE_PROT_SW1, PKVM_PAGE_SHARED_BORROWED. */
    public static final long SW1 = 1L << 56;
    public static final long S2_PERMS = S2AP_R | S2AP_W | S2_XN; // KVM_PTE_LEAF_ATTR_S2_PERMS
    public static final long PAGE_STATE_MASK = SW0 | SW1;

    /** Levels of a 4K-granule stage-2 starting at level 1: 1 GiB blocks, 2 MiB blocks, 4K pages. */
    public static final int START_LEVEL = 1;
    public static final int LAST_LEVEL = 3;
    public static final int PTRS_PER_TABLE = 512;
    /** A level-1 root of one page translates 39 bits of IPA. */
    public static final int IA_BITS = 39;
    public static final long IA_LIMIT = 1L << IA_BITS;

    private KvmPte() {
    }

    /** kvm_granule_shift(). */
    public static int granuleShift(int level) {
        return 12 + 9 * (LAST_LEVEL - level);
    }

    /** kvm_granule_size(). */
    public static long granule(int level) {
        return 1L << granuleShift(level);
    }

    public static boolean valid(long pte) {
        return (pte & VALID) != 0;
    }

    /** kvm_pte_table(): a valid table descriptor, which only exists below the last level. */
    public static boolean table(long pte, int level) {
        return level < LAST_LEVEL && valid(pte) && (pte & TYPE) != 0;
    }

    /** stage2_pte_is_counted(): a table page's refcount counts every non-zero entry. */
    public static boolean counted(long pte) {
        return pte != 0;
    }

    /** stage2_set_prot_attr(): the attributes of a host identity mapping with these permissions. */
    public static long attr(Prot prot, boolean device) {
        long attr = (device ? MEMATTR_DEVICE : MEMATTR_NORMAL) | SH_IS | AF;
        if (prot.read()) {
            attr |= S2AP_R;
        }
        if (prot.write()) {
            attr |= S2AP_W;
        }
        if (!prot.exec()) {
            attr |= S2_XN;
        }
        return attr;
    }

    /** kvm_init_valid_leaf_pte(). */
    public static long validLeaf(long pa, long attr, int level) {
        return (pa & ADDR_MASK) | attr | VALID | (level == LAST_LEVEL ? TYPE : 0);
    }

    /**
     * kvm_init_table_pte(). kvmsim names a table page by the IPA range it translates, so the
     * descriptor's output address is that IPA; the walker follows a table by position.
     */
    public static long tablePte(long ipa) {
        return (ipa & ADDR_MASK) | TYPE | VALID;
    }

    /** stage2_pte_needs_update(): anything but a change of permissions on a valid mapping. */
    public static boolean needsUpdate(long old, long nu) {
        if (!valid(old) || !valid(nu)) {
            return true;
        }
        return ((old ^ nu) & ~S2_PERMS) != 0;
    }

    public static boolean permits(long pte, Access access) {
        switch (access) {
            case READ:
                return (pte & S2AP_R) != 0;
            case WRITE:
                return (pte & S2AP_W) != 0;
            default:
                return (pte & S2_XN) == 0;
        }
    }

    /** The pKVM page state a valid host leaf carries in its software bits (pkvm_getstate()). */
    public static PageState state(long pte) {
        long s = pte & PAGE_STATE_MASK;
        if (s == SW0) {
            return PageState.SHARED_OWNED;
        } else if (s == SW1) {
            return PageState.SHARED_BORROWED;
        } else if (s == 0) {
            return PageState.OWNED;
        }
        throw new IllegalArgumentException("reserved page state in " + Long.toHexString(pte));
    }

    /** pkvm_mkstate(). */
    public static long withState(long attr, PageState s) {
        long bits;
        switch (s) {
            case OWNED:
                bits = 0;
                break;
            case SHARED_OWNED:
                bits = SW0;
                break;
            case SHARED_BORROWED:
                bits = SW1;
                break;
            default:
                throw new IllegalArgumentException(s + " is not stored in a PTE");
        }
        return (attr & ~PAGE_STATE_MASK) | bits;
    }

    public static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
