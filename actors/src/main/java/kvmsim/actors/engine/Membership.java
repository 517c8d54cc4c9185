package kvmsim.actors.engine;

import java.io.PrintWriter;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/** Prints the cluster's membership changes as they happen: what an operator watches a node for. */
public final class Membership {

    private Membership() {
    }

    // without the data-center role every member has
    private static java.util.List<String> roles(org.apache.pekko.cluster.Member m) {
        return m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList();
    }

    public static void print(ActorSystem<?> system, PrintWriter out) {
        var printer = system.systemActorOf(Behaviors.<Object>receiveMessage(e -> {
            String line = null;
            if (e instanceof ClusterEvent.MemberUp m) {
                line = "member up " + m.member().address() + " roles " + roles(m.member());
            } else if (e instanceof ClusterEvent.MemberLeft m) {
                line = "member leaving " + m.member().address();
            } else if (e instanceof ClusterEvent.MemberDowned m) {
                line = "member downed " + m.member().address();
            } else if (e instanceof ClusterEvent.MemberRemoved m) {
                line = "member removed " + m.member().address();
            } else if (e instanceof ClusterEvent.UnreachableMember m) {
                line = "member unreachable " + m.member().address();
            } else if (e instanceof ClusterEvent.ReachableMember m) {
                line = "member reachable again " + m.member().address();
            }
            if (line != null) {
                synchronized (out) {
                    out.println(line);
                    out.flush();
                }
            }
            return Behaviors.same();
        }), "membership-printer", Props.empty());
        Cluster.get(system).subscriptions().tell(Subscribe.create(printer.narrow(), ClusterEvent.MemberEvent.class));
        Cluster.get(system).subscriptions().tell(Subscribe.create(printer.narrow(), ClusterEvent.ReachabilityEvent.class));
    }
}
