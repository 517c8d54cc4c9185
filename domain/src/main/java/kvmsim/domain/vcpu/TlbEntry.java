package kvmsim.domain.vcpu;

/**
 * A translation of one gfn cached in a vCPU's TLB. {@code writable}: a guest write through it goes
 * straight to memory, without a walk of the SPTE (with A/D bits only when it was filled by a write,
 * as the CPU must walk to set the Dirty bit otherwise).
 */
public record TlbEntry(boolean writable) {
}
