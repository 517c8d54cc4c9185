package kvmsim.domain.engine;

/** An expectation that did not hold: which key, what the trace expected, what the model did. */
public record Mismatch(String key, String expected, String actual) {

    @Override
    public String toString() {
        return key + ": expected " + expected + ", got " + actual;
    }
}
