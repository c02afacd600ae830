package ai.trainingstore.stream;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.kind.Rejection.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.function.ToDoubleFunction;

/**
 * The ingest pipeline's meters, exposed at {@code /q/metrics}. Every meter of every stream, kind
 * and dead-letter reason is registered at start-up with value 0 (contract section 9): a series
 * that appears only with its first increment makes {@code rate()} and {@code increase()} miss that
 * first increment, and alerts on it stay silent until the second.
 */
@Startup
@ApplicationScoped
public class IngestMetrics {

    /** When a consumer last read a full batch (System.nanoTime), if one has. */
    private volatile long lastFullRead;
    private volatile boolean fullReadSeen;

    private final MeterRegistry registry;

    public IngestMetrics(MeterRegistry registry, StoreConfig config) {
        this.registry = registry;
        for (RecordKind kind : RecordKind.values()) {
            registerAtZero(kind.id(), config.streams().of(kind));
        }
    }

    private void registerAtZero(String kind, String stream) {
        recordsRead(stream);
        batchSize(stream);
        batchBytes(stream);
        recordsStored(kind);
        for (Reason reason : Reason.values()) {
            recordsDeadLettered(stream, reason);
        }
        batchFailures(stream);
        recordsClaimed(stream);
        recordsRedelivered(stream);
        recordsTrimmed(stream);
        commitTimer(kind);
    }

    void read(String stream, int entries, long bytes) {
        recordsRead(stream).increment(entries);
        batchSize(stream).record(entries);
        batchBytes(stream).record(bytes);
    }

    void stored(String kind, int records) {
        recordsStored(kind).increment(records);
    }

    void deadLettered(String stream, Reason reason) {
        recordsDeadLettered(stream, reason).increment();
    }

    void batchFailed(String stream) {
        batchFailures(stream).increment();
    }

    void claimed(String stream, int entries) {
        recordsClaimed(stream).increment(entries);
    }

    void redelivered(String stream) {
        recordsRedelivered(stream).increment();
    }

    public void trimmed(String stream, long entries) {
        recordsTrimmed(stream).increment(entries);
    }

    <T> void backOffGauge(String stream, String consumerName, T consumer, ToDoubleFunction<T> value) {
        Gauge.builder("training_store_consumer_backoff", consumer, value)
                .description("1 while the consumer retries a batch because PostgreSQL or Redis is out of reach")
                .tag("stream", stream).tag("consumer", consumerName).register(registry);
    }

    Timer commitTimer(String kind) {
        return Timer.builder("training_store_commit")
                .description("Time to write and commit one batch")
                .tag("kind", kind).publishPercentileHistogram().register(registry);
    }

    // Registering an existing meter returns it, so each of these is both the registration and the look-up.

    private Counter recordsRead(String stream) {
        return Counter.builder("training_store_records_read")
                .description("Stream entries read by this replica")
                .tag("stream", stream).register(registry);
    }

    private DistributionSummary batchSize(String stream) {
        return DistributionSummary.builder("training_store_batch_size")
                .description("Entries per batch read from a stream")
                .tag("stream", stream).register(registry);
    }

    private DistributionSummary batchBytes(String stream) {
        return DistributionSummary.builder("training_store_batch_bytes")
                .description("Bytes of entries (names and values as held) per batch read from a stream;"
                        + " never more than memory.batch-bytes")
                .baseUnit("bytes")
                .tag("stream", stream).register(registry);
    }

    private Counter recordsStored(String kind) {
        return Counter.builder("training_store_records_stored")
                .description("Records committed to PostgreSQL (before folding by identity)")
                .tag("kind", kind).register(registry);
    }

    private Counter recordsDeadLettered(String stream, Reason reason) {
        return Counter.builder("training_store_records_dead_lettered")
                .description("Entries copied to the dead-letter stream, by reason")
                .tag("stream", stream).tag("reason", reason.code()).register(registry);
    }

    private Counter batchFailures(String stream) {
        return Counter.builder("training_store_batch_failures")
                .description("Batches that failed and were left pending to be retried")
                .tag("stream", stream).register(registry);
    }

    private Counter recordsClaimed(String stream) {
        return Counter.builder("training_store_records_claimed")
                .description("Entries claimed from consumers idle longer than claim-idle (XAUTOCLAIM)")
                .tag("stream", stream).register(registry);
    }

    private Counter recordsRedelivered(String stream) {
        return Counter.builder("training_store_records_redelivered")
                .description("Entries read that had been delivered before (restart, failed write, claim)")
                .tag("stream", stream).register(registry);
    }

    private Counter recordsTrimmed(String stream) {
        return Counter.builder("training_store_records_trimmed")
                .description("Entries trimmed from the stream after every group acknowledged them")
                .tag("stream", stream).register(registry);
    }

    /** A read returned a full batch: the stream holds more than one read takes (a backlog). */
    void fullRead() {
        lastFullRead = System.nanoTime();
        fullReadSeen = true;
    }

    /**
     * Whether a consumer of this replica read a full batch within {@code window}: ingest is behind and
     * needs the cores (semantic search's embedding yields to it). Immediate, where the streams' lag
     * gauges are polled every 5 s.
     */
    public boolean fullReadWithin(Duration window) {
        return fullReadSeen && System.nanoTime() - lastFullRead < window.toNanos();
    }
}
