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
 * queues a message id.
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
    private Duration backoff;

    EmbeddingWorker(Pool pool, VectorTable table, Vertx vertx, ExecutorService thread, SearchMetrics metrics,
            int batchSize, Duration poll, String replica) {
        super(vertx);
        this.pool = pool;
        this.table = table;
        this.thread = thread;
        this.metrics = metrics;
        this.batchSize = batchSize;
        this.poll = poll;
        this.replica = replica;
        this.backoff = poll;
    }

    @Override
    void step() {
        pool.withTransaction(conn -> table.claim(conn, batchSize, Embedder.MODEL)
                        .chain(claim -> embed(claim.messages())
                                .chain(vectors -> claim.messages().isEmpty() ? Uni.createFrom().voidItem()
                                        : table.write(conn, claim.messages(), vectors, Embedder.MODEL, replica))
                                .replaceWith(claim)))
                .subscribe().with(claim -> {
                    metrics.embedded(claim.messages().size());
                    backoff = poll;
                    schedule(claim.taken() >= batchSize ? Duration.ZERO : poll);
                }, failure -> {
                    LOG.warnf("Embedding a batch failed; its messages stay queued and are retried in %s: %s",
                            backoff, LogText.safe(String.valueOf(failure.getMessage())));
                    schedule(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                });
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
