package ai.trainingstore.stream;

import ai.trainingstore.record.EntryParser;
import ai.trainingstore.record.EntryText;
import ai.trainingstore.record.ParsedEntry;
import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.deadletter.DeadLetters;
import ai.trainingstore.deadletter.DeadLetters.DeadLetter;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.store.RecordWriter;
import ai.trainingstore.record.DecodedRecord;
import ai.trainingstore.store.WriteFailures;
import ai.trainingstore.stream.EntryReader.ReadEntry;
import ai.trainingstore.stream.EntryReader.State;
import io.micrometer.core.instrument.Timer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.XGroupCreateArgs;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;
import org.jboss.logging.Logger;

/**
 * Consumes one stream through the consumer group, one batch at a time: read, parse and
 * validate, write (fold + one statement, committed), dead-letter the bad entries, then XACK
 * exactly the entries that were stored or dead-lettered.
 *
 * <p>Failures are handled by their cause:
 * <ul>
 * <li>PostgreSQL or Redis out of reach: the batch is kept in memory and retried as it is after a
 *     bounded back-off; nothing is acknowledged and nothing new is read until it succeeds.
 * <li>PostgreSQL refuses the batch because of its data: the records are written one by one; those
 *     that still fail are left pending and read again later, which raises their delivery count.
 * <li>An entry delivered more than {@code max-deliveries} times is dead-lettered unread.
 * </ul>
 * Entries left pending by a consumer that died are claimed (XAUTOCLAIM) after {@code claim-idle}.
 *
 * <p>Reads are bounded by bytes ({@link EntryReader}, {@link IngestBudget}): before each read the
 * consumer takes a grant from the replica's ingest budget and receives only the entries that fit
 * in it; the bytes are given back once the batch is acknowledged (or abandoned at shutdown). A
 * read cannot block in Redis without fetching an entry of unknown size, so an idle consumer polls,
 * backing off from {@link #IDLE_POLL_MIN} to {@code batch.block}.
 *
 * <p>Each stream has its own loop and each command names one key, so the streams may live on
 * different Redis Cluster hash slots.
 */
final class StreamConsumer {

    private static final Logger LOG = Logger.getLogger(StreamConsumer.class);
    private static final String SCAN_START = "0-0";
    private static final String PENDING_START = "-";
    /** First pause of an idle consumer before it looks for new entries again; doubles up to batch.block. */
    static final Duration IDLE_POLL_MIN = Duration.ofMillis(25);
    /** Pause before trying again when the other consumers hold the whole ingest budget. */
    private static final Duration BUDGET_WAIT = Duration.ofMillis(25);

    private final RecordKind kind;
    private final String stream;
    private final String group;
    private final String consumer;
    private final ReactiveStreamCommands<String, byte[], byte[]> redis;
    private final ReactiveRedisDataSource commands;
    private final EntryReader reader;
    private final IngestBudget budget;
    private final EntryParser parser;
    private final EntryText.KnownNames knownNames;
    private final RecordWriter writer;
    private final DeadLetters deadLetters;
    private final IngestMetrics metrics;
    private final Timer commitTimer;
    private final StoreConfig.Batch batchConfig;
    private final StoreConfig.Delivery delivery;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final FailurePolicy failures;

    /** Go through this consumer's own pending entries before reading new ones (id >). */
    private boolean readPendingFirst = true;
    /** Where the pass over the own pending entries is: XPENDING's start, "-" at the beginning. */
    private String pendingCursor = PENDING_START;
    /** Ids pending on this consumer (listed by the pending pass or just claimed) still to be read. */
    private final Deque<String> toRead = new ArrayDeque<>();
    /** How long to wait before looking for new entries again; zero while entries keep coming. */
    private Duration idlePause = Duration.ZERO;
    /** When to go through the pending entries again after some were left pending; MAX_VALUE: not planned. */
    private long pendingPassAtNanos = Long.MAX_VALUE;
    private boolean groupReady;
    private Batch inFlight;
    private String claimCursor = SCAN_START;
    private long lastClaimScanNanos = System.nanoTime();
    private int consecutiveFailures;
    private volatile boolean stopRequested;
    private volatile boolean running;
    private volatile boolean retrying;
    private volatile long lastIterationNanos = System.nanoTime();
    private volatile String lastError;

    StreamConsumer(RecordKind kind, String stream, String group, String consumer, ReactiveRedisDataSource redis,
                   EntryParser parser, RecordWriter writer, DeadLetters deadLetters, IngestMetrics metrics,
                   IngestBudget budget, StoreConfig config) {
        this.kind = kind;
        this.stream = stream;
        this.group = group;
        this.consumer = consumer;
        this.redis = redis.stream(String.class, byte[].class, byte[].class);
        this.commands = redis;
        this.reader = new EntryReader(redis, stream, group, consumer, config.delivery().maxEntryBytes(),
                config.batch().size());
        this.budget = budget;
        this.parser = parser;
        this.knownNames = new EntryText.KnownNames(kind);
        this.writer = writer;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.commitTimer = metrics.commitTimer(kind.id());
        this.batchConfig = config.batch();
        this.delivery = config.delivery();
        this.failures = new FailurePolicy(config.delivery());
        metrics.backOffGauge(stream, consumer, this, self -> self.retrying ? 1 : 0);
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

    String stream() {
        return stream;
    }

    String consumer() {
        return consumer;
    }

    boolean isRunning() {
        return running;
    }

    /** True while a batch is being retried because PostgreSQL or Redis is out of reach. */
    boolean isRetrying() {
        return retrying;
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
            if (inFlight != null) {
                LOG.warnf("Stream %s: stopping with a batch not yet stored; its %d entries stay pending",
                        stream, inFlight.ids.size());
                releaseInFlight();
            }
            stopped.complete(null);
            return;
        }
        pollOnce().subscribe().with(this::scheduleNext, failure -> {
            // pollOnce recovers from every failure; reaching this is a bug, so keep the loop alive.
            LOG.errorf(failure, "Stream %s: consumer loop failed unexpectedly", stream);
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
                .chain(() -> inFlight != null ? Uni.createFrom().item(inFlight) : nextBatch())
                .invoke(batch -> inFlight = batch)
                .chain(this::complete)
                .invoke(() -> {
                    releaseInFlight();
                    inFlight = null;
                    consecutiveFailures = 0;
                    retrying = false;
                    lastError = null;
                })
                .onFailure().recoverWithItem(this::failed);
    }

    /** The batch is done with (acknowledged, or abandoned at shutdown): its bytes go back to the budget. */
    private void releaseInFlight() {
        budget.giveBack(inFlight.bytes);
        inFlight.bytes = 0;
    }

    /** The batch stays in flight and is retried as it is: the failure was not caused by its data. */
    private Duration failed(Throwable failure) {
        consecutiveFailures++;
        retrying = true;
        if (inFlight == null) {
            // A failed read: start the pending pass again, some of it may have been delivered.
            pendingCursor = PENDING_START;
            toRead.clear();
            readPendingFirst = true;
        }
        lastError = WriteFailures.describe(failure);
        if (isMissingGroup(failure)) {
            groupReady = false;
        }
        metrics.batchFailed(stream);
        Duration pause = failures.outageBackOff(consecutiveFailures);
        LOG.warnf("Stream %s: %s failed (attempt %d), nothing acknowledged, retrying in %d ms: %s", stream,
                inFlight == null ? "read" : "batch of " + inFlight.ids.size(), consecutiveFailures,
                pause.toMillis(), lastError);
        return pause;
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

    private Uni<Batch> nextBatch() {
        if (!toRead.isEmpty()) {
            return readListed();
        }
        if (claimScanDue()) {
            return claimAbandoned();
        }
        if (!readPendingFirst && System.nanoTime() >= pendingPassAtNanos) {
            pendingPassAtNanos = Long.MAX_VALUE;
            readPendingFirst = true;
        }
        if (readPendingFirst) {
            return listOwnPending();
        }
        return readNew();
    }

    /**
     * New entries, as many as fit in the grant. When none is waiting the consumer waits before it
     * looks again (XREADGROUP BLOCK would return an entry of unknown size), longer each time up to
     * batch.block, so a busy stream is read without pause and an idle one costs a few calls a second.
     */
    private Uni<Batch> readNew() {
        return readWithin(reader::readNew)
                .invoke(batch -> {
                    if (batch.isEmpty() && batch.pause.isZero()) {
                        idlePause = idlePause.isZero() ? IDLE_POLL_MIN
                                : min(idlePause.multipliedBy(2), batchConfig.block());
                        batch.pause = idlePause;
                    } else if (!batch.isEmpty()) {
                        idlePause = Duration.ZERO;
                        if (batch.ids.size() >= batchConfig.size()) {
                            metrics.fullRead();
                        }
                    }
                });
    }

    /**
     * One page of the entries delivered to this consumer name and not acknowledged (after a restart,
     * or records whose write failed), listed by XPENDING then read by size. Pages follow each other
     * until the pending list is read once.
     */
    private Uni<Batch> listOwnPending() {
        return commands.execute("XPENDING", stream, group, pendingCursor, "+", Integer.toString(batchConfig.size()),
                        consumer)
                .chain(pending -> {
                    List<String> ids = new ArrayList<>();
                    for (Response entry : pending) {
                        ids.add(entry.get(0).toString());
                    }
                    readPendingFirst = !ids.isEmpty();
                    pendingCursor = ids.isEmpty() ? PENDING_START : "(" + ids.get(ids.size() - 1);
                    toRead.addAll(ids);
                    return toRead.isEmpty() ? Uni.createFrom().item(new Batch()) : readListed();
                });
    }

    private boolean claimScanDue() {
        return !SCAN_START.equals(claimCursor)
                || System.nanoTime() - lastClaimScanNanos >= delivery.claimInterval().toNanos();
    }

    /**
     * Claims entries idle longer than claim-idle on any consumer of the group, e.g. a dead replica.
     * Only their ids are claimed (JUSTID); they are then read by size like this consumer's own
     * pending entries, and those that do not fit in this batch are read in the next ones.
     */
    private Uni<Batch> claimAbandoned() {
        return commands.execute("XAUTOCLAIM", stream, group, consumer, Long.toString(delivery.claimIdle().toMillis()),
                        claimCursor, "COUNT", Integer.toString(batchConfig.size()), "JUSTID")
                .chain(reply -> {
                    claimCursor = reply.get(0).toString();
                    if (SCAN_START.equals(claimCursor)) {
                        lastClaimScanNanos = System.nanoTime();
                    }
                    Response claimed = reply.get(1);
                    if (claimed.size() > 0) {
                        metrics.claimed(stream, claimed.size());
                        LOG.infof("Stream %s: claimed %d entries idle for over %s", stream, claimed.size(),
                                delivery.claimIdle());
                    }
                    for (Response id : claimed) {
                        toRead.add(id.toString());
                    }
                    return toRead.isEmpty() ? Uni.createFrom().item(new Batch()) : readListed();
                });
    }

    /** Reads the listed pending entries that fit in a grant; the others stay listed for the next batch. */
    private Uni<Batch> readListed() {
        List<String> ids = toRead.stream().limit(batchConfig.size()).toList();
        return readWithin(grant -> reader.readPending(grant, ids)
                .invoke(entries -> entries.forEach(entry -> toRead.pollFirst())));
    }

    /**
     * Takes a grant from the ingest budget, reads within it, and gives back at once what the
     * entries read do not occupy; the batch holds the rest until it is released. Every path gives
     * the grant back: a failed read, an empty one, and one whose entries cannot be turned into a batch.
     */
    private Uni<Batch> readWithin(LongFunction<Uni<List<ReadEntry>>> read) {
        long grant = budget.takeForRead();
        if (grant == 0) {
            Batch waiting = new Batch();
            waiting.pause = BUDGET_WAIT;
            return Uni.createFrom().item(waiting);
        }
        return read.apply(grant)
                .onFailure().invoke(() -> budget.giveBack(grant))
                .map(entries -> {
                    long held = Math.min(grant, entries.stream().mapToLong(ReadEntry::heldBytes).sum());
                    budget.giveBack(grant - held);
                    try {
                        return toBatch(entries, held);
                    } catch (RuntimeException e) {
                        budget.giveBack(held);
                        throw e;
                    }
                });
    }

    private Batch toBatch(List<ReadEntry> entries, long held) {
        Batch batch = new Batch();
        batch.bytes = held;
        int delivered = 0;
        for (ReadEntry entry : entries) {
            if (entry.state() == State.GONE) {
                continue; // acknowledged or claimed by another consumer since it was listed: not ours to handle
            }
            delivered++;
            batch.ids.add(entry.id());
            if (entry.state() == State.DELETED) {
                // Deleted from the stream while pending: nothing left to store, only to acknowledge.
                continue;
            }
            EntryText text = EntryText.decode(entry.fields(), knownNames);
            Map<String, String> fields = text.fields();
            int deliveries = entry.deliveries();
            if (deliveries > 1) {
                metrics.redelivered(stream);
            }
            if (failures.overDeliveryLimit(deliveries)) {
                batch.deadLetters.add(new DeadLetter(entry.id(), fields, failures.deliveryLimit(entry.id(), deliveries),
                        deliveries, entry.state() == State.CUT ? entry.size() : 0));
                continue;
            }
            if (entry.state() == State.CUT) {
                // Dead-lettered from its size alone: only the start of its fields was ever read.
                batch.deadLetters.add(new DeadLetter(entry.id(), fields,
                        EntryParser.tooLarge(entry.size(), delivery.maxEntryBytes()), 0, entry.size()));
                continue;
            }
            if (text.invalidUtf8() != null) {
                batch.deadLetters.add(new DeadLetter(entry.id(), fields, text.invalidUtf8(), 0));
                continue;
            }
            ParsedEntry parsed = parser.parseDecoded(kind, stream, entry.id(), fields);
            if (parsed.isAccepted()) {
                batch.records.add(parsed.record());
            } else {
                batch.deadLetters.add(new DeadLetter(entry.id(), fields, parsed.rejection(), 0));
            }
        }
        if (delivered > 0) {
            metrics.read(stream, delivered, held);
        }
        return batch;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Write, dead-letter, acknowledge; each step is done once even when a later one is retried. */
    private Uni<Duration> complete(Batch batch) {
        if (batch.isEmpty()) {
            return Uni.createFrom().item(batch.pause);
        }
        return write(batch)
                .chain(() -> deadLetter(batch))
                .chain(() -> acknowledge(batch))
                .invoke(() -> {
                    if (!batch.leftPending.isEmpty() && pendingPassAtNanos == Long.MAX_VALUE) {
                        // Records that failed on their own are read again later; new entries go on meanwhile.
                        pendingPassAtNanos = System.nanoTime() + failures.pendingRetryDelay().toNanos();
                    }
                })
                .replaceWith(Duration.ZERO);
    }

    private Uni<Void> write(Batch batch) {
        if (batch.written || batch.records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Timer.Sample sample = Timer.start();
        return writeRecords(batch.records)
                .invoke(() -> {
                    sample.stop(commitTimer);
                    metrics.stored(kind.id(), batch.records.size());
                })
                .onFailure(failures::blamesRecords).recoverWithUni(failure -> writeOneByOne(batch, failure))
                .invoke(() -> batch.written = true);
    }

    private Uni<Void> writeRecords(List<DecodedRecord> records) {
        return writer.write(kind, records)
                .ifNoItem().after(delivery.writeTimeout()).fail()
                .replaceWithVoid();
    }

    /**
     * PostgreSQL refused the batch because of some record in it: write the records one at a time
     * so that only the culprits are held back; they stay pending and are retried later.
     */
    private Uni<Void> writeOneByOne(Batch batch, Throwable batchFailure) {
        LOG.warnf("Stream %s: PostgreSQL refused a batch of %d (%s); writing its records one by one",
                stream, batch.records.size(), WriteFailures.describe(batchFailure));
        return Multi.createFrom().iterable(batch.records)
                .onItem().transformToUniAndConcatenate(record -> writeRecords(List.of(record))
                        .invoke(() -> metrics.stored(kind.id(), 1))
                        .onFailure(failures::blamesRecords).recoverWithItem(failure -> {
                            String entryId = record.streamEntryId();
                            String reason = failures.refusedAlone(entryId, failure);
                            batch.leftPending.add(entryId);
                            metrics.batchFailed(stream);
                            LOG.warnf("Stream %s: entry %s not stored, left pending for another attempt: %s",
                                    stream, entryId, reason);
                            return null;
                        }))
                .collect().last()
                .replaceWithVoid();
    }

    private Uni<Void> deadLetter(Batch batch) {
        if (batch.deadLettered || batch.deadLetters.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return deadLetters.publish(stream, batch.deadLetters)
                .invoke(() -> {
                    batch.deadLettered = true;
                    for (DeadLetter deadLetter : batch.deadLetters) {
                        metrics.deadLettered(stream, deadLetter.rejection().reason());
                        failures.forget(deadLetter.sourceId());
                        LOG.infof("Stream %s: entry %s dead-lettered: %s", stream, deadLetter.sourceId(),
                                deadLetter.rejection().message());
                    }
                });
    }

    private Uni<Void> acknowledge(Batch batch) {
        String[] ids = batch.idsToAcknowledge();
        if (ids.length == 0) {
            return Uni.createFrom().voidItem();
        }
        return redis.xack(stream, group, ids).replaceWithVoid();
    }

    private static boolean isMissingGroup(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        return message.startsWith("NOGROUP") || message.contains("no longer exists");
    }
}
