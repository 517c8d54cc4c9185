package kvmsim.domain.host;

/** enum kvm_pgtable_prot, the R/W/X part. */
public record Prot(boolean read, boolean write, boolean exec) {
    public static final Prot RWX = new Prot(true, true, true); // PKVM_HOST_MEM_PROT
    public static final Prot RW = new Prot(true, true, false); // PKVM_HOST_MMIO_PROT
}
