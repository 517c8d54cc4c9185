package kvmsim.domain.entity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import kvmsim.domain.vcpu.VcpuEvent;
import org.junit.jupiter.api.Test;

/** Steps that overlapped in the journal come back by line, each step's own events in journal order. */
class StepOrderTest {

    private static Emitted at(String vcpu, int line) {
        return new Emitted(EntityId.parse("vcpu/vm0/" + vcpu), new Recorded(line, new VcpuEvent.VcpuEnteredGuest()));
    }

    @Test
    void byLineAndStableWithinAStep() {
        Emitted a5 = at("0", 5);
        Emitted b4 = at("1", 4);
        Emitted c5 = at("2", 5);
        Emitted d4 = at("3", 4);
        assertEquals(List.of(b4, d4, a5, c5), StepOrder.of(List.of(a5, b4, c5, d4)));
    }
}
