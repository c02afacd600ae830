package ai.trainingstore.search;

import io.vertx.mutiny.core.Vertx;
import java.time.Duration;

/** A background loop on Vert.x timers: one step at a time, the next scheduled by the step itself; stops for good. */
abstract class PollingLoop {

    private final Vertx vertx;
    private volatile boolean stopped;
    private volatile long timer = -1;

    PollingLoop(Vertx vertx) {
        this.vertx = vertx;
    }

    void start() {
        schedule(Duration.ZERO);
    }

    void stop() {
        stopped = true;
        vertx.cancelTimer(timer);
    }

    /** Runs {@link #step()} after the delay, unless stopped meanwhile. */
    void schedule(Duration delay) {
        if (!stopped) {
            timer = vertx.setTimer(Math.max(1, delay.toMillis()), id -> {
                if (!stopped) {
                    step();
                }
            });
        }
    }

    /** One step; it ends by calling {@link #schedule} for the next. */
    abstract void step();
}
