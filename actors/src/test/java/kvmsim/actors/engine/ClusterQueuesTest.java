package kvmsim.actors.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/**
 * Artery drops a message when its send queue to a node is full (to dead letters, not logged), and the driver
 * only notices after kvmsim.ask-timeout (a minute's stall). The queue must hold what a full
 * window puts on one node pair: a command per step in flight, and a TLB flush to a VM's vCPUs
 * (the fleet benchmark's VMs have 4; 15 fit).
 */
class ClusterQueuesTest {

    @Test
    void aNodesSendQueueHoldsAFullWindowOfStepsThatEachFlushFifteenVcpus() {
        Config c = ConfigFactory.load();
        int queue = c.getInt("pekko.remote.artery.advanced.outbound-message-queue-size");
        assertTrue(queue >= ConcurrentReplay.MAX_WINDOW * (1 + 15),
                "outbound-message-queue-size " + queue + " < " + ConcurrentReplay.MAX_WINDOW * 16);
    }
}
