package ai.trainingstore.search;

import ai.trainingstore.config.SearchSettings;
import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.stream.IngestMetrics;
import ai.trainingstore.stream.StreamLag;
import ai.trainingstore.text.LogText;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Semantic search over conversations (contract section 10). At start-up with search enabled: switches
 * on the queueing trigger, queues the stored messages that have no vector (backfill, in the background),
 * starts the embedding workers and builds this replica's index from the vectors table, then tails it.
 * With search off it only switches the trigger off, and never loads the model or opens an index.
 */
@ApplicationScoped
public class SearchService {

    private static final Logger LOG = Logger.getLogger(SearchService.class);
    /** Most messages one query reads from the index while gathering k distinct conversations. */
    static final int MAX_MESSAGES_PER_QUERY = 50_000;
    /** Most of a conversation's message vectors averaged for {@code like}. */
    static final int MAX_LIKE_MESSAGES = 10_000;
    /** A second backfill after start-up catches a message whose insert began before the trigger was switched on. */
    static final Duration SECOND_BACKFILL = Duration.ofSeconds(30);
    /** How long after a full read ingest counts as behind. */
    static final Duration INGEST_BUSY_WINDOW = Duration.ofSeconds(2);

    private final SearchSettings settings;
    private final Pool pool;
    private final VectorTable table;
    private final Vertx vertx;
    private final SearchMetrics metrics;
    private final StreamLag streamLag;
    private final IngestMetrics ingest;
    private final String replica;
    private final List<EmbeddingWorker> workers = new ArrayList<>();
    private ExecutorService embedThreads;
    private ExecutorService indexThread;
    private VectorIndex index;
    private IndexTailer tailer;
    private Path indexDir;
    private volatile long pendingTimer = -1;
    private volatile boolean stopped;

    public SearchService(StoreConfig config, Pool pool, VectorTable table, Vertx vertx, SearchMetrics metrics,
                         StreamLag streamLag, IngestMetrics ingest) {
        this.settings = config.search();
        this.pool = pool;
        this.table = table;
        this.vertx = vertx;
        this.metrics = metrics;
        this.streamLag = streamLag;
        this.ingest = ingest;
        this.replica = config.consumerName().filter(name -> !name.isBlank())
                .or(() -> Optional.ofNullable(System.getenv("HOSTNAME")).filter(name -> !name.isBlank()))
                .orElse("training-store");
    }

    public boolean enabled() {
        return settings.enabled();
    }

    void start(@Observes StartupEvent event) {
        if (!settings.enabled()) {
            table.setEnabled(false, Embedder.MODEL).subscribe().with(done -> { }, failure -> LOG.warnf(
                    "Could not switch the search queue off: %s", LogText.safe(String.valueOf(failure.getMessage()))));
            return;
        }
        try {
            indexDir = settings.indexDir().map(Path::of).orElse(null);
            if (indexDir == null) {
                indexDir = Files.createTempDirectory("training-store-search-");
            } else {
                Files.createDirectories(indexDir);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot create the search index directory: " + e.getMessage(), e);
        }
        metrics.register();
        index = new LuceneVectorIndex(indexDir, settings.exactBelow());
        indexThread = Executors.newSingleThreadExecutor(named("search-index"));
        embedThreads = Executors.newFixedThreadPool(settings.workers(), named("search-embed"));
        IngestYield yield = new IngestYield(this::ingestBehind, settings.yieldFactor());
        tailer = new IndexTailer(table, index, vertx, indexThread, metrics, settings.pollInterval(), yield);
        for (int i = 0; i < settings.workers(); i++) {
            workers.add(new EmbeddingWorker(pool, table, vertx, embedThreads, metrics, settings.batchSize(),
                    settings.pollInterval(), replica, yield));
        }
        LOG.infof("Semantic search is on (model %s, index in %s): embedding user and assistant messages", Embedder.MODEL, indexDir);
        table.setEnabled(true, Embedder.MODEL)
                .chain(() -> backfill())
                .subscribe().with(done -> {
                    tailer.start();
                    workers.forEach(EmbeddingWorker::start);
                    vertx.setTimer(SECOND_BACKFILL.toMillis(), id -> backfill().subscribe().with(n -> { }, f -> { }));
                    refreshPending();
                }, failure -> LOG.errorf("Semantic search could not start: %s", LogText.safe(String.valueOf(failure.getMessage()))));
    }

    /**
     * Ingest is behind: a consumer here read a full batch in the last 2 s (seen at once), or a stream's
     * lag, polled every 5 s, is over one batch (seen from every replica, whoever consumes).
     */
    private boolean ingestBehind() {
        return ingest.fullReadWithin(INGEST_BUSY_WINDOW) || streamLag.backlog();
    }

    private Uni<Void> backfill() {
        return table.backfill(Embedder.MODEL)
                .invoke(queued -> {
                    if (queued > 0) {
                        LOG.infof("Search backfill: %d stored messages queued for embedding", queued);
                    }
                })
                .onFailure().invoke(failure -> LOG.warnf("Search backfill failed (it runs again at the next start): %s",
                        LogText.safe(String.valueOf(failure.getMessage()))))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private void refreshPending() {
        if (stopped) {
            return;
        }
        table.pending().subscribe().with(n -> {
            metrics.pending(n);
            pendingTimer = vertx.setTimer(Math.max(1000, settings.pollInterval().toMillis()), id -> refreshPending());
        }, failure -> pendingTimer = vertx.setTimer(5000, id -> refreshPending()));
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        if (!settings.enabled()) {
            return;
        }
        vertx.cancelTimer(pendingTimer);
        workers.forEach(EmbeddingWorker::stop);
        if (tailer != null) {
            tailer.stop();
        }
        if (embedThreads != null) {
            embedThreads.shutdownNow();
        }
        if (indexThread != null) {
            indexThread.shutdown();
            try {
                indexThread.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (index != null) {
                index.close();
            }
            if (settings.indexDir().isEmpty() && indexDir != null) {
                try (var files = Files.walk(indexDir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
        } catch (IOException e) {
            LOG.warnf("Closing the search index: %s", e.getMessage());
        }
    }

    /** One ranked conversation: its best-matching message. */
    public record Result(@JsonProperty("conversation_id") String conversationId, double score,
            @JsonProperty("message_id") String messageId, String content,
            @JsonProperty("content_truncated") @JsonInclude(JsonInclude.Include.NON_NULL) Boolean contentTruncated) {
    }

    /** What {@code GET /api/v1/search/status} answers. */
    public record Status(boolean enabled, String model, int dimensions, long indexed, long pending,
            @JsonProperty("caught_up") boolean caughtUp) {
    }

    public Status status() {
        return new Status(true, Embedder.MODEL, Embedder.DIMENSIONS, index.size(), metrics.pending(), tailer.caughtUp());
    }

    /** Conversations ranked by their best message's cosine similarity to the text. */
    public Uni<List<Result>> byText(String q, int k, VectorIndex.Filter filter, Redaction redaction, int maxContentChars) {
        return Uni.createFrom().item(() -> best(Embedder.embed(q), k, filter))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(hits -> withContents(hits, redaction, maxContentChars));
    }

    /**
     * Conversations ranked by their best message's similarity to the mean of this conversation's
     * vectors, itself left out; empty when it has no indexed message (the caller answers 404).
     */
    public Uni<Optional<List<Result>>> like(String conversationId, int k, VectorIndex.Filter filter, Redaction redaction,
            int maxContentChars) {
        VectorIndex.Filter without = new VectorIndex.Filter(filter.agentIds(), filter.taskIds(), filter.from(), filter.to(),
                Optional.of(conversationId));
        return table.conversation(conversationId, Embedder.MODEL, MAX_LIKE_MESSAGES)
                .chain(vectors -> vectors.isEmpty() ? Uni.createFrom().item(Optional.<List<Result>>empty())
                        : Uni.createFrom().item(() -> best(Vectors.meanUnit(vectors), k, without))
                                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                                .chain(hits -> withContents(hits, redaction, maxContentChars))
                                .map(Optional::of));
    }

    /**
     * The best message of each of the k best conversations. Reads 4k messages, and four times more
     * while those hold fewer than k conversations and the index has more to give.
     */
    List<VectorIndex.Hit> best(float[] query, int k, VectorIndex.Filter filter) {
        int n = Math.min(MAX_MESSAGES_PER_QUERY, k * 4);
        while (true) {
            List<VectorIndex.Hit> hits = index.nearest(query, n, filter);
            Map<String, VectorIndex.Hit> byConversation = new LinkedHashMap<>();
            for (VectorIndex.Hit hit : hits) {
                byConversation.putIfAbsent(hit.conversationId(), hit);
            }
            if (byConversation.size() >= k || hits.size() < n || n >= MAX_MESSAGES_PER_QUERY) {
                return byConversation.values().stream().limit(k).toList();
            }
            n = Math.min(MAX_MESSAGES_PER_QUERY, n * 4);
        }
    }

    /** The hits with their messages' content (a message deleted meanwhile is left out), redacted. */
    private Uni<List<Result>> withContents(List<VectorIndex.Hit> hits, Redaction redaction, int maxContentChars) {
        if (hits.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return table.contents(hits.stream().map(VectorIndex.Hit::messageId).toList(), maxContentChars)
                .emitOn(Infrastructure.getDefaultWorkerPool()) // redaction is CPU work
                .map(contents -> {
                    List<Result> results = new ArrayList<>(hits.size());
                    for (VectorIndex.Hit hit : hits) {
                        VectorTable.Content content = contents.get(hit.messageId());
                        if (content != null) {
                            results.add(new Result(hit.conversationId(), Math.round(hit.score() * 1e6) / 1e6, hit.messageId(),
                                    redaction.text(content.text()), content.cut() ? Boolean.TRUE : null));
                        }
                    }
                    return results;
                });
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
