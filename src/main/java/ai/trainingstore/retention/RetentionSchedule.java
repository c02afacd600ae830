package ai.trainingstore.retention;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.text.LogText;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Runs retention in the background on every replica: {@link #FIRST_RUN} after start-up, then
 * {@code interval} after each run ends (runs never overlap on one replica; across replicas the
 * advisory lock lets one work at a time). The job is non-blocking; its file writes run on a
 * worker thread.
 */
@ApplicationScoped
public class RetentionSchedule {

    private static final Logger LOG = Logger.getLogger(RetentionSchedule.class);
    /** Soon after start-up, so a replica restarted more often than interval still runs it. */
    static final Duration FIRST_RUN = Duration.ofSeconds(30);

    private final Vertx vertx;
    private final RetentionJob job;
    private final StoreConfig.Retention config;
    private volatile boolean stopped;
    private volatile long timer = -1;

    public RetentionSchedule(Vertx vertx, RetentionJob job, StoreConfig config) {
        this.vertx = vertx;
        this.job = job;
        this.config = config.retention();
    }

    void start(@Observes StartupEvent event) {
        if (!config.scheduled() || !job.anyPolicy()) {
            LOG.infof("Retention runs only on POST /api/v1/retention/run (%s)",
                    config.scheduled() ? "no kind has a policy" : "training-store.retention.scheduled=false");
            return;
        }
        schedule(FIRST_RUN);
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        vertx.cancelTimer(timer);
    }

    private void schedule(Duration delay) {
        if (!stopped) {
            timer = vertx.setTimer(Math.max(1, delay.toMillis()), id -> runOnce());
        }
    }

    private void runOnce() {
        job.run(Instant.now()).subscribe().with(
                report -> schedule(config.interval()),
                failure -> {
                    LOG.errorf("Retention run failed; the next is in %s: %s", config.interval(),
                            LogText.safe(failure.getMessage()));
                    schedule(config.interval());
                });
    }
}
