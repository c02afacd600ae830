package ai.trainingstore.stream;

import ai.trainingstore.kind.Rejection.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.ToDoubleFunction;

/** The ingest pipeline's meters, exposed at {@code /q/metrics}. */
@ApplicationScoped
public class IngestMetrics {

    private final MeterRegistry registry;

    public IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void read(String stream, int entries) {
        Counter.builder("training_store_records_read")
                .description("Stream entries read by this replica")
                .tag("stream", stream).register(registry).increment(entries);
        DistributionSummary.builder("training_store_batch_size")
                .description("Entries per batch read from a stream")
                .tag("stream", stream).register(registry).record(entries);
    }

    void stored(String kind, int records) {
        Counter.builder("training_store_records_stored")
                .description("Records committed to PostgreSQL (before folding by identity)")
                .tag("kind", kind).register(registry).increment(records);
    }

    void deadLettered(String stream, Reason reason) {
        Counter.builder("training_store_records_dead_lettered")
                .description("Entries copied to the dead-letter stream, by reason")
                .tag("stream", stream).tag("reason", reason.code()).register(registry).increment();
    }

    void batchFailed(String stream) {
        Counter.builder("training_store_batch_failures")
                .description("Batches that failed and were left pending to be retried")
                .tag("stream", stream).register(registry).increment();
    }

    void claimed(String stream, int entries) {
        Counter.builder("training_store_records_claimed")
                .description("Entries claimed from consumers idle longer than claim-idle (XAUTOCLAIM)")
                .tag("stream", stream).register(registry).increment(entries);
    }

    void redelivered(String stream) {
        Counter.builder("training_store_records_redelivered")
                .description("Entries read that had been delivered before (restart, failed write, claim)")
                .tag("stream", stream).register(registry).increment();
    }

    public void trimmed(String stream, long entries) {
        Counter.builder("training_store_records_trimmed")
                .description("Entries trimmed from the stream after every group acknowledged them")
                .tag("stream", stream).register(registry).increment(entries);
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
}
