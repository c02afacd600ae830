package ai.trainingstore.stream;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.RecordKind;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Polls each stream's length and the store group's lag and pending count (XLEN, XINFO GROUPS,
 * one key per command) and exposes them as gauges. Lag is the number of entries not yet delivered
 * to the group; -1 while unknown (Redis cannot tell after some deletions).
 */
@ApplicationScoped
public class StreamLag {

    private static final Logger LOG = Logger.getLogger(StreamLag.class);
    private static final long POLL_MILLIS = 5_000;

    private final ReactiveRedisDataSource redis;
    private final StoreConfig config;
    private final Vertx vertx;
    private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();
    private long timerId = -1;

    public record Snapshot(AtomicLong length, AtomicLong lag, AtomicLong pending) {
    }

    public StreamLag(ReactiveRedisDataSource redis, StoreConfig config, Vertx vertx, MeterRegistry registry) {
        this.redis = redis;
        this.config = config;
        this.vertx = vertx;
        for (RecordKind kind : RecordKind.values()) {
            String stream = config.streams().of(kind);
            Snapshot snapshot = new Snapshot(new AtomicLong(-1), new AtomicLong(-1), new AtomicLong(-1));
            snapshots.put(stream, snapshot);
            gauge(registry, "training_store_stream_length", "Entries in the stream (XLEN)", stream, snapshot.length());
            gauge(registry, "training_store_stream_lag", "Entries not yet delivered to the store's group", stream,
                    snapshot.lag());
            gauge(registry, "training_store_stream_pending", "Entries delivered to the group but not acknowledged",
                    stream, snapshot.pending());
        }
    }

    void onStart(@Observes StartupEvent event) {
        // First poll at once, so the gauges hold real figures from start-up rather than -1 for 5 s.
        timerId = vertx.setPeriodic(1, POLL_MILLIS, id -> refresh().subscribe().with(ignored -> { }, failure ->
                LOG.debugf("Could not read stream lag: %s", failure.getMessage())));
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    public Snapshot snapshot(String stream) {
        return snapshots.get(stream);
    }

    /** Whether some stream holds more entries not yet delivered to the group than one batch (as of the last poll). */
    public boolean backlog() {
        int batch = config.batch().size();
        return snapshots.values().stream().anyMatch(snapshot -> snapshot.lag().get() > batch);
    }

    /** Reads every stream's figures now. */
    public Uni<Void> refresh() {
        return Uni.join().all(snapshots.keySet().stream().map(this::refresh).toList())
                .andCollectFailures().replaceWithVoid();
    }

    private Uni<Void> refresh(String stream) {
        Snapshot snapshot = snapshots.get(stream);
        return redis.execute("XLEN", stream)
                .invoke(length -> snapshot.length().set(length.toLong()))
                .chain(() -> redis.execute("XINFO", "GROUPS", stream))
                .invoke(groups -> readGroup(groups, snapshot))
                .onFailure(failure -> String.valueOf(failure.getMessage()).contains("no such key"))
                .recoverWithItem(() -> {
                    // No stream yet (nothing published, group not created yet): nothing waits.
                    snapshot.length().set(0);
                    snapshot.lag().set(0);
                    snapshot.pending().set(0);
                    return null;
                })
                .replaceWithVoid();
    }

    private void readGroup(Response groups, Snapshot snapshot) {
        if (groups == null) {
            return;
        }
        for (Response group : groups) {
            if (config.group().equals(RedisReplies.text(group, "name"))) {
                snapshot.lag().set(RedisReplies.number(group, "lag", -1));
                snapshot.pending().set(RedisReplies.number(group, "pending", -1));
            }
        }
    }

    private static void gauge(MeterRegistry registry, String name, String description, String stream, AtomicLong value) {
        Gauge.builder(name, value, AtomicLong::get).description(description).tag("stream", stream).register(registry);
    }
}
