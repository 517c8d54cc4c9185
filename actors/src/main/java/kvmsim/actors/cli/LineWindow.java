package kvmsim.actors.cli;

import picocli.CommandLine.Option;

/** --from/--to: a range of trace lines, shared by the commands that show part of a run. */
final class LineWindow {

    @Option(names = "--from", paramLabel = "N", description = "the first trace line (default: the first)")
    Integer from;

    @Option(names = "--to", paramLabel = "M", description = "the last trace line (default: the last)")
    Integer to;

    void validate() {
        if (from != null && to != null && from > to) {
            throw new BadInput("--from " + from + " is after --to " + to);
        }
    }

    boolean contains(int line) {
        return (from == null || line >= from) && (to == null || line <= to);
    }

    boolean whole() {
        return from == null && to == null;
    }

    int first() {
        return from == null ? Integer.MIN_VALUE : from;
    }

    int last() {
        return to == null ? Integer.MAX_VALUE : to;
    }
}
