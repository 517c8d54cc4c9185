package kvmsim.domain.host;

/** What the host did when it took a stage-2 abort (HOST_MEM_ABORT's access). */
public enum Access {
    READ, WRITE, EXEC
}
