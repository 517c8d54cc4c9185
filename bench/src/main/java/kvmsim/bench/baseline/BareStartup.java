package kvmsim.bench.baseline;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import kvmsim.actors.engine.KvmsimSystem;
import kvmsim.journal.store.JournalLocation;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The floor under a replay's start-up on the actor engine, as a whole process: the same actor system
 * on the same H2 journal, one {@link BareCounter} persisting {@code EVENTS} events, one ask at a
 * time, and nothing of kvmsim's CLI, trace, model or run log. {@code bench-startup} runs it beside
 * the replays it compares. Arguments: the H2 folder, the number of events.
 */
public final class BareStartup {

    private BareStartup() {
    }

    public static void main(String[] args) throws Exception {
        JournalLocation journal = JournalLocation.parse("h2:" + args[0]);
        int events = Integer.parseInt(args[1]);
        journal.ensureSchema();
        Duration timeout = Duration.ofSeconds(60);
        try (KvmsimSystem sys = KvmsimSystem.start(journal, ConfigFactory.empty())) {
            ActorRef<BareCounter.Increment> counter = sys.system().systemActorOf(
                    BareCounter.create("bare-startup-" + System.nanoTime()), "bare-startup", Props.empty());
            for (int i = 0; i < events; i++) {
                long count = AskPattern.<BareCounter.Increment, Long>ask(counter, BareCounter.Increment::new, timeout,
                        sys.system().scheduler()).toCompletableFuture().get(timeout.toSeconds() + 1, TimeUnit.SECONDS);
                if (count != i + 1) {
                    throw new IllegalStateException("the counter answered " + count + " to command " + (i + 1));
                }
            }
        }
    }
}
