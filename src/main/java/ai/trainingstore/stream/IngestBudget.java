package ai.trainingstore.stream;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.memory.ByteBudget;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * The bytes of stream entries every consumer of this replica holds at once
 * ({@code memory.ingest-bytes}). A consumer takes a grant before each read, between
 * {@code delivery.max-entry-bytes} (so any valid entry fits) and {@code memory.batch-bytes}, gives
 * back what the read did not use at once, and the rest when the batch is acknowledged,
 * dead-lettered or abandoned at shutdown. A singleton, created with the consumers at start-up, so
 * settings that contradict each other stop the start with a message naming them.
 */
@Singleton
public class IngestBudget {

    private final ByteBudget bytes;
    private final long batchBytes;
    private final long maxEntryBytes;

    @Inject
    public IngestBudget(StoreConfig config, MeterRegistry registry) {
        this(config.memory().ingestBytes(), config.memory().batchBytes(), config.delivery().maxEntryBytes());
        Gauge.builder("training_store_ingest_bytes_held", this, IngestBudget::held)
                .description("Bytes of stream entries the consumers of this replica hold (memory.ingest-bytes at most)")
                .register(registry);
    }

    /** Checks the settings against each other; a start-up with settings that cannot work fails here. */
    IngestBudget(long ingestBytes, long batchBytes, long maxEntryBytes) {
        if (batchBytes < maxEntryBytes) {
            throw new IllegalArgumentException(String.format("training-store.memory.batch-bytes (%,d) must be at least"
                    + " training-store.delivery.max-entry-bytes (%,d): every entry within the limit must fit in a batch",
                    batchBytes, maxEntryBytes));
        }
        if (ingestBytes < batchBytes) {
            throw new IllegalArgumentException(String.format("training-store.memory.ingest-bytes (%,d) must be at least"
                    + " training-store.memory.batch-bytes (%,d): the consumers share ingest-bytes, one batch takes up to"
                    + " batch-bytes", ingestBytes, batchBytes));
        }
        this.bytes = new ByteBudget("training-store.memory.ingest-bytes", ingestBytes);
        this.batchBytes = batchBytes;
        this.maxEntryBytes = maxEntryBytes;
    }

    /** Bytes for one read, between max-entry-bytes and batch-bytes; 0 when the other consumers hold too much. */
    long takeForRead() {
        return bytes.tryTake(maxEntryBytes, batchBytes);
    }

    void giveBack(long taken) {
        if (taken > 0) {
            bytes.giveBack(taken);
        }
    }

    /** Bytes taken and not yet given back. */
    public long held() {
        return bytes.capacity() - bytes.available();
    }

    public long capacity() {
        return bytes.capacity();
    }
}
