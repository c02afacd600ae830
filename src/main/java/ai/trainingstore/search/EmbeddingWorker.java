package ai.trainingstore.search;

import ai.trainingstore.text.LogText;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import org.jboss.logging.Logger;

/**
 * One embedding loop: claims queued messages (newest first), embeds them on its own thread and writes
 * their vectors, all in one transaction, so a crash or a failure leaves them queued for the next try
 * (here or on another replica) and nothing is written twice. Goes on at once while the queue
 * holds work, else waits for the poll interval. The write path never waits for it: the trigger only
 * queues a message id; and while the streams hold a backlog the worker rests between batches
 * ({@link #pause}), so on a busy machine ingest keeps the cores.
 */
final class EmbeddingWorker extends PollingLoop {

    private static final Logger LOG = Logger.getLogger(EmbeddingWorker.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Pool pool;
    private final VectorTable table;
    private final ExecutorService thread;
    private final SearchMetrics metrics;
    private final int batchSize;
    private final Duration poll;
    private final String replica;
    private final IngestYield yield;
    private Duration backoff;

    EmbeddingWorker(Pool pool, VectorTable table, Vertx vertx, ExecutorService thread, SearchMetrics metrics,
            int batchSize, Duration poll, String replica, IngestYield yield) {
        super(vertx);
        this.pool = pool;
        this.table = table;
        this.thread = thread;
        this.metrics = metrics;
        this.batchSize = batchSize;
        this.poll = poll;
        this.replica = replica;
        this.yield = yield;
        this.backoff = poll;
    }

    @Override
    void step() {
        long started = System.nanoTime();
        pool.withTransaction(conn -> table.claim(conn, batchSize, Embedder.MODEL)
                        .chain(claim -> embed(claim.messages())
                                .chain(vectors -> claim.messages().isEmpty() ? Uni.createFrom().voidItem()
                                        : table.write(conn, claim.messages(), vectors, Embedder.MODEL, replica))
                                .replaceWith(claim)))
                .subscribe().with(claim -> {
                    metrics.embedded(claim.messages().size());
                    backoff = poll;
                    schedule(pause(claim.taken(), Duration.ofNanos(System.nanoTime() - started)));
                }, failure -> {
                    LOG.warnf("Embedding a batch failed; its messages stay queued and are retried in %s: %s",
                            backoff, LogText.safe(String.valueOf(failure.getMessage())));
                    schedule(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                });
    }

    /**
     * Before the next batch: none while the queue holds more, the poll interval when it ran dry, and
     * while ingest has a backlog at least yield-factor times what this batch took, so embedding never
     * takes the cores the write path needs (it lags behind and catches up once ingest has).
     */
    Duration pause(int taken, Duration took) {
        Duration pause = taken >= batchSize ? Duration.ZERO : poll;
        return taken > 0 ? yield.after(took, pause) : pause;
    }

    /** The model runs on this worker's own thread: never the event loop, never the request workers. */
    private Uni<List<float[]>> embed(List<VectorTable.Claimed> messages) {
        if (messages.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<String> texts = messages.stream().map(VectorTable.Claimed::content).toList();
        return Uni.createFrom().item(() -> Embedder.embed(texts)).runSubscriptionOn(thread);
    }
}
