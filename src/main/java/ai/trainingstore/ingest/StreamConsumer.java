package ai.trainingstore.ingest;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.deadletter.DeadLetters;
import ai.trainingstore.deadletter.DeadLetters.DeadLetter;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.store.RecordWriter;
import ai.trainingstore.store.StoreRecord;
import io.micrometer.core.instrument.Timer;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.XGroupCreateArgs;
import io.quarkus.redis.datasource.stream.XReadGroupArgs;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;

/**
 * Consumes one stream through the consumer group, one batch at a time: read, parse and
 * validate, write (fold + one statement, committed), dead-letter the bad entries, then XACK
 * exactly the entries of the batch. Nothing is acknowledged before its commit; a batch that
 * fails is left pending and read again from this consumer's pending list after a back-off.
 *
 * <p>Each stream has its own loop and each command names one key, so the streams may live on
 * different Redis Cluster hash slots.
 */
final class StreamConsumer {

    private static final Logger LOG = Logger.getLogger(StreamConsumer.class);

    private final RecordKind kind;
    private final String stream;
    private final String group;
    private final String consumer;
    private final ReactiveStreamCommands<String, String, String> redis;
    private final EntryParser parser;
    private final RecordWriter writer;
    private final DeadLetters deadLetters;
    private final IngestMetrics metrics;
    private final Timer commitTimer;
    private final StoreConfig.Batch batch;
    private final StoreConfig.Delivery delivery;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    /** Read this consumer's own pending entries (id 0) before new ones (id >). */
    private boolean readPendingFirst = true;
    private boolean groupReady;
    private int consecutiveFailures;
    private volatile boolean stopRequested;
    private volatile boolean running;
    private volatile long lastIterationNanos = System.nanoTime();
    private volatile String lastError;

    StreamConsumer(RecordKind kind, String stream, String group, String consumer,
                   ReactiveStreamCommands<String, String, String> redis, EntryParser parser, RecordWriter writer,
                   DeadLetters deadLetters, IngestMetrics metrics, StoreConfig config) {
        this.kind = kind;
        this.stream = stream;
        this.group = group;
        this.consumer = consumer;
        this.redis = redis;
        this.parser = parser;
        this.writer = writer;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.commitTimer = metrics.commitTimer(kind.id());
        this.batch = config.batch();
        this.delivery = config.delivery();
    }

    void start() {
        running = true;
        next();
    }

    /** Asks the loop to stop after the batch in flight; completes once it has. */
    CompletableFuture<Void> stop() {
        stopRequested = true;
        if (!running) {
            stopped.complete(null);
        }
        return stopped;
    }

    RecordKind kind() {
        return kind;
    }

    String stream() {
        return stream;
    }

    boolean isRunning() {
        return running;
    }

    /** True while the last batch failed and is being retried (PostgreSQL or Redis unreachable). */
    boolean isFailing() {
        return consecutiveFailures > 0;
    }

    String lastError() {
        return lastError;
    }

    Duration sinceLastIteration() {
        return Duration.ofNanos(System.nanoTime() - lastIterationNanos);
    }

    private void next() {
        if (stopRequested) {
            running = false;
            stopped.complete(null);
            return;
        }
        pollOnce().subscribe().with(this::scheduleNext, failure -> {
            // pollOnce recovers from every failure; reaching this is a bug, so keep the loop alive.
            LOG.errorf(failure, "Consumer loop of %s failed unexpectedly", stream);
            scheduleNext(delivery.retryMax());
        });
    }

    private void scheduleNext(Duration pause) {
        lastIterationNanos = System.nanoTime();
        if (pause.isZero() || stopRequested) {
            next();
        } else {
            Uni.createFrom().voidItem().onItem().delayIt().by(pause).subscribe().with(ignored -> next());
        }
    }

    /** One iteration; returns how long to pause before the next one. */
    private Uni<Duration> pollOnce() {
        return ensureGroup()
                .chain(this::read)
                .chain(this::process)
                .replaceWith(() -> {
                    consecutiveFailures = 0;
                    lastError = null;
                    return Duration.ZERO;
                })
                .onFailure().recoverWithItem(this::failed);
    }

    private Duration failed(Throwable failure) {
        consecutiveFailures++;
        lastError = String.valueOf(failure.getMessage());
        readPendingFirst = true;
        if (isMissingGroup(failure)) {
            groupReady = false;
        }
        metrics.batchFailed(stream);
        long pause = Math.min(delivery.retryMax().toMillis(),
                delivery.retryMin().toMillis() << Math.min(consecutiveFailures - 1, 20));
        LOG.warnf("Stream %s: batch failed (attempt %d), nothing acknowledged, retrying in %d ms: %s",
                stream, consecutiveFailures, pause, lastError);
        return Duration.ofMillis(pause);
    }

    /** Creates the group (from id 0, so earlier entries are kept) and the stream when missing. */
    private Uni<Void> ensureGroup() {
        if (groupReady) {
            return Uni.createFrom().voidItem();
        }
        return redis.xgroupCreate(stream, group, "0", new XGroupCreateArgs().mkstream())
                .onFailure(failure -> String.valueOf(failure.getMessage()).startsWith("BUSYGROUP"))
                .recoverWithNull()
                .invoke(() -> groupReady = true);
    }

    private Uni<List<StreamMessage<String, String, String>>> read() {
        XReadGroupArgs args = new XReadGroupArgs().count(batch.size());
        if (readPendingFirst) {
            return redis.xreadgroup(group, consumer, stream, "0", args)
                    .invoke(entries -> readPendingFirst = !entries.isEmpty());
        }
        return redis.xreadgroup(group, consumer, stream, ">", args.block(batch.block()));
    }

    private Uni<Void> process(List<StreamMessage<String, String, String>> entries) {
        if (entries.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        metrics.read(stream, entries.size());
        List<StoreRecord> records = new ArrayList<>(entries.size());
        List<DeadLetter> rejected = new ArrayList<>();
        String[] ids = new String[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            StreamMessage<String, String, String> entry = entries.get(i);
            ids[i] = entry.id();
            if (entry.payload() == null || entry.payload().isEmpty()) {
                // Deleted from the stream while pending: nothing left to store, only to acknowledge.
                continue;
            }
            ParsedEntry parsed = parser.parse(kind, stream, entry.id(), entry.payload());
            if (parsed.isAccepted()) {
                records.add(parsed.record());
            } else {
                rejected.add(new DeadLetter(entry.id(), entry.payload(), parsed.rejection()));
            }
        }
        return write(records)
                .chain(() -> deadLetter(rejected))
                .chain(() -> redis.xack(stream, group, ids))
                .replaceWithVoid();
    }

    private Uni<Void> write(List<StoreRecord> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Timer.Sample sample = Timer.start();
        return writer.write(kind, records)
                .invoke(() -> {
                    sample.stop(commitTimer);
                    metrics.stored(kind.id(), records.size());
                })
                .replaceWithVoid();
    }

    private Uni<Void> deadLetter(List<DeadLetter> rejected) {
        if (rejected.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return deadLetters.publish(stream, rejected)
                .invoke(() -> rejected.forEach(deadLetter -> {
                    metrics.deadLettered(stream, deadLetter.rejection().reason());
                    LOG.infof("Stream %s entry %s dead-lettered: %s", stream, deadLetter.sourceId(),
                            deadLetter.rejection().message());
                }));
    }

    private static boolean isMissingGroup(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        return message.startsWith("NOGROUP") || message.contains("no longer exists");
    }
}
