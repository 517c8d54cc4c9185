package kvmsim.domain.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import kvmsim.domain.entity.Decision;
import org.junit.jupiter.api.Test;

/**
 * A remote TLB flush asks a vCPU again when an earlier round timed out (its node died, or the
 * answer was slow): the vCPU persists nothing new and answers with what it persisted the first
 * time, so the broadcaster's reply carries the flush exactly once.
 */
class FlushRequestRepeatTest {

    private static VcpuState fold(VcpuState s, VcpuEvent... events) {
        for (VcpuEvent e : events) {
            s = VcpuDecider.evolve(s, e);
        }
        return s;
    }

    @Test
    void aRepeatedRequestGetsTheFirstAnswerAgainAndPersistsNothing() {
        VcpuState inGuest = fold(VcpuState.initial("vm0", 0), new VcpuEvent.VcpuCreated(),
                new VcpuEvent.VcpuEnteredGuest(), new VcpuEvent.TlbFilled(5, true));
        Decision first = VcpuDecider.decide(inGuest, new VcpuCommand.TlbFlushRequest(1));
        assertEquals(List.of(new VcpuEvent.TlbFlushed(1, 1)), first.events());
        VcpuState flushed = fold(inGuest, new VcpuEvent.TlbFlushed(1, 1));
        Decision repeat = VcpuDecider.decide(flushed, new VcpuCommand.TlbFlushRequest(1));
        assertEquals(List.of(), repeat.events());
        assertEquals(List.of(new VcpuEvent.TlbFlushed(1, 1)), repeat.again());
        assertEquals(Decision.ok(), VcpuDecider.decide(flushed, new VcpuCommand.TlbFlushRequest(0)),
                "an older request than the last answered one has nothing to say");
    }

    @Test
    void aDeferredFlushIsRepeatedAsDeferred() {
        VcpuState outside = fold(VcpuState.initial("vm0", 0), new VcpuEvent.VcpuCreated());
        assertEquals(List.of(new VcpuEvent.TlbFlushDeferred(3)),
                VcpuDecider.decide(outside, new VcpuCommand.TlbFlushRequest(3)).events());
        VcpuState deferred = fold(outside, new VcpuEvent.TlbFlushDeferred(3));
        assertEquals(List.of(new VcpuEvent.TlbFlushDeferred(3)),
                VcpuDecider.decide(deferred, new VcpuCommand.TlbFlushRequest(3)).again());
        // serviced on the next entry: the request's answer was "deferred", and still is
        VcpuState serviced = fold(deferred, new VcpuEvent.TlbFlushed(3, 0), new VcpuEvent.VcpuEnteredGuest());
        assertEquals(List.of(new VcpuEvent.TlbFlushDeferred(3)),
                VcpuDecider.decide(serviced, new VcpuCommand.TlbFlushRequest(3)).again());
    }
}
