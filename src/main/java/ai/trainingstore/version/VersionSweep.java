package ai.trainingstore.version;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.text.LogText;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Runs {@link VersionService#sweep()} at start-up and every {@code versions.sweep-interval} on every
 * replica: a version left {@code building} by a builder that died is marked failed within one
 * interval, whichever replica notices first (the lock tells them all apart from live builds).
 */
@ApplicationScoped
public class VersionSweep {

    private static final Logger LOG = Logger.getLogger(VersionSweep.class);

    private final Vertx vertx;
    private final VersionService versions;
    private final StoreConfig.Versions config;
    private volatile boolean stopped;
    private volatile long timer = -1;

    public VersionSweep(Vertx vertx, VersionService versions, StoreConfig config) {
        this.vertx = vertx;
        this.versions = versions;
        this.config = config.versions();
    }

    void start(@Observes StartupEvent event) {
        runOnce();
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        vertx.cancelTimer(timer);
    }

    private void runOnce() {
        versions.sweep().subscribe().with(interrupted -> schedule(), failure -> {
            LOG.warnf("Sweep of interrupted version builds failed; the next is in %s: %s", config.sweepInterval(),
                    LogText.safe(failure.getMessage()));
            schedule();
        });
    }

    private void schedule() {
        if (!stopped) {
            timer = vertx.setTimer(Math.max(1, config.sweepInterval().toMillis()), id -> runOnce());
        }
    }
}
