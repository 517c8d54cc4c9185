package kvmsim.domain.host;

/** The page-range transitions of mem_protect.c, by the trace op that asks for them. */
public enum Hvc {
    HOST_SHARE_HYP("__pkvm_host_share_hyp"),
    HOST_UNSHARE_HYP("__pkvm_host_unshare_hyp"),
    HOST_DONATE_HYP("__pkvm_host_donate_hyp"),
    HYP_DONATE_HOST("__pkvm_hyp_donate_host"),
    HYP_PIN_SHARED("hyp_pin_shared_mem"),
    HYP_UNPIN_SHARED("hyp_unpin_shared_mem"),
    HOST_SHARE_FFA("__pkvm_host_share_ffa"),
    HOST_UNSHARE_FFA("__pkvm_host_unshare_ffa");

    /** The kernel function. */
    public final String function;

    Hvc(String function) {
        this.function = function;
    }

    /** The trace op: PKVM_ and the name. */
    public String op() {
        return "PKVM_" + name();
    }
}
