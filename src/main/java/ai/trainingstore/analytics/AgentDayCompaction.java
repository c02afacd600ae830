package ai.trainingstore.analytics;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.text.LogText;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Folds the rollup behind {@code agent_daily} (migration V7): every write of events or messages
 * appends counts, and this replica sums them into one row per day, agent and kind every
 * {@code training-store.analytics.compact-interval}. The answer of the views does not depend on it
 * (they sum whatever rows there are); it keeps the rollup about as small as days x agents. The
 * function takes a transaction lock, so replicas never fold at once.
 */
@ApplicationScoped
public class AgentDayCompaction {

    private static final Logger LOG = Logger.getLogger(AgentDayCompaction.class);

    private final Vertx vertx;
    private final Pool pool;
    private final Duration interval;
    private volatile boolean stopped;
    private volatile long timer = -1;

    public AgentDayCompaction(Vertx vertx, Pool pool, StoreConfig config) {
        this.vertx = vertx;
        this.pool = pool;
        this.interval = config.analytics().compactInterval();
    }

    void start(@Observes StartupEvent event) {
        schedule();
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        vertx.cancelTimer(timer);
    }

    /** Folds the rollup now; the rows folded away (0 when another replica holds the lock). */
    public Uni<Long> compact() {
        return pool.query("SELECT training_data.compact_agent_day_counts()").execute()
                .map(rows -> rows.iterator().next().getLong(0));
    }

    private void schedule() {
        if (!stopped) {
            timer = vertx.setTimer(Math.max(1, interval.toMillis()), id -> compact().subscribe().with(
                    folded -> schedule(),
                    failure -> {
                        LOG.warnf("Folding the agent_daily rollup failed (the views stay exact); next try in %s: %s",
                                interval, LogText.safe(failure.getMessage()));
                        schedule();
                    }));
        }
    }
}
