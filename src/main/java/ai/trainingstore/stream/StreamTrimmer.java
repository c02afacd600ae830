package ai.trainingstore.stream;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.RecordKind;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Keeps the streams from growing without bound: periodically trims each stream (XTRIM MINID) below
 * the oldest entry that some consumer group still needs, i.e. for every group of the stream (this
 * store's and anyone else's) its oldest pending entry, or else the first entry after the last one
 * delivered to it. An entry is therefore trimmed only once every group has been delivered it and
 * has acknowledged it.
 */
@ApplicationScoped
public class StreamTrimmer {

    private static final Logger LOG = Logger.getLogger(StreamTrimmer.class);
    private static final Comparator<long[]> ENTRY_ORDER = Comparator.<long[]>comparingLong(id -> id[0])
            .thenComparingLong(id -> id[1]);

    private final ReactiveRedisDataSource redis;
    private final StoreConfig config;
    private final Vertx vertx;
    private final IngestMetrics metrics;
    private long timerId = -1;

    public StreamTrimmer(ReactiveRedisDataSource redis, StoreConfig config, Vertx vertx, IngestMetrics metrics) {
        this.redis = redis;
        this.config = config;
        this.vertx = vertx;
        this.metrics = metrics;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.trim().enabled()) {
            timerId = vertx.setPeriodic(config.trim().interval().toMillis(), id -> trimAll());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    private void trimAll() {
        for (RecordKind kind : RecordKind.values()) {
            String stream = config.streams().of(kind);
            trim(stream).subscribe().with(
                    trimmed -> {
                        if (trimmed > 0) {
                            metrics.trimmed(stream, trimmed);
                            LOG.debugf("Stream %s: trimmed %d acknowledged entries", stream, trimmed);
                        }
                    },
                    failure -> LOG.debugf("Stream %s: not trimmed this time: %s", stream, failure.getMessage()));
        }
    }

    /** Trims one stream as far as every group allows; returns the number of entries removed. */
    public Uni<Long> trim(String stream) {
        return redis.execute("XINFO", "GROUPS", stream)
                .chain(groups -> oldestNeeded(stream, groups))
                .chain(oldest -> oldest.isEmpty()
                        ? Uni.createFrom().item(0L)
                        : redis.execute("XTRIM", stream, "MINID", oldest.get()).map(Response::toLong));
    }

    /** The smallest entry id some group still needs; empty when there is no group (keep everything). */
    private Uni<Optional<String>> oldestNeeded(String stream, Response groups) {
        List<Uni<long[]>> perGroup = new ArrayList<>();
        for (Response group : groups) {
            String name = RedisReplies.text(group, "name");
            long pending = RedisReplies.number(group, "pending", 0);
            long[] lastDelivered = parse(RedisReplies.text(group, "last-delivered-id"));
            if (pending > 0) {
                perGroup.add(redis.execute("XPENDING", stream, name).map(summary -> parse(summary.get(1).toString())));
            } else {
                perGroup.add(Uni.createFrom().item(new long[] {lastDelivered[0], lastDelivered[1] + 1}));
            }
        }
        if (perGroup.isEmpty()) {
            return Uni.createFrom().item(Optional.empty());
        }
        return Uni.join().all(perGroup).andFailFast()
                .map(ids -> ids.stream().min(ENTRY_ORDER).map(id -> id[0] + "-" + id[1]));
    }

    private static long[] parse(String entryId) {
        int dash = entryId.indexOf('-');
        return new long[] {Long.parseLong(entryId.substring(0, dash)), Long.parseLong(entryId.substring(dash + 1))};
    }
}
