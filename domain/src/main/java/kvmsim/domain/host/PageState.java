package kvmsim.domain.host;

/** enum pkvm_page_state: the state of a page in one component's view (mem_protect.h). */
public enum PageState {
    OWNED, SHARED_OWNED, SHARED_BORROWED, NOPAGE
}
