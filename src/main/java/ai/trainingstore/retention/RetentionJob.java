package ai.trainingstore.retention;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.export.ArchiveLines;
import ai.trainingstore.export.RowEncoder;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.text.LogText;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Deletes the rows older than their kind's policy (contract section 8), archiving them first when
 * an archive directory is set. Each batch is one transaction that:
 * <ol>
 * <li>takes the kind's retention lock, {@code pg_try_advisory_xact_lock}: a transaction lock ends with its
 * transaction whatever happens (commit, rollback, a connection lost, the process killed). A session
 * lock would have to be released on the same pooled connection; one release missed would keep it
 * held by an idle pooled connection and silently stop retention on every replica;</li>
 * <li>chooses the oldest expired rows, at most {@code batch-size} of them and at most
 * {@code memory.retention-batch-bytes} of row text as PostgreSQL measures it before any is read
 * (one larger row goes alone);</li>
 * <li>with an archive, selects them {@code FOR UPDATE}, so a merge arriving meanwhile waits and
 * what is archived is exactly what is deleted, and streams them into an archive file forced to
 * disk (on a worker thread, a few rows at a time: the batch is never held whole);</li>
 * <li>deletes them, re-checking the cutoff, and commits.</li>
 * </ol>
 * Any failure (a file that cannot be written, a row, the connection) fails the batch's Uni, so its
 * transaction rolls back and with it the lock and the row locks. A crash before the commit leaves the rows stored (and perhaps archived already: archived twice,
 * never lost). A replica that finds a kind's lock taken leaves that kind to the replica holding it,
 * which goes on (it fails to take the lock only while yet another replica holds it), so every kind
 * is finished by one of them.
 * Streaming exports are not affected: each reads its own snapshot in its own transaction.
 */
@ApplicationScoped
public class RetentionJob {

    private static final Logger LOG = Logger.getLogger(RetentionJob.class);
    /**
     * The retention locks' first key, shared by every replica ("tret"); the second is the kind, so
     * replicas split the kinds between them rather than each giving up all of them.
     */
    static final int LOCK_CLASS = 0x7472_6574;
    static final String LOCKED = "another replica holds the retention lock and is running retention";
    /** A .partial archive file older than this was left by a crash: a batch writes its file in seconds. */
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);
    /** Rows fetched from the batch's cursor and written to its archive at a time. */
    static final int ROWS_PER_FETCH = 64;

    private final Pool pool;
    private final StoreConfig.Retention config;
    private final RetentionMetrics metrics;
    private final Optional<ArchiveWriter> archives;
    private final long batchBytes;

    public RetentionJob(Pool pool, StoreConfig config, RetentionMetrics metrics) {
        this.pool = pool;
        this.config = config.retention();
        this.metrics = metrics;
        this.archives = this.config.archiveDir().map(dir -> new ArchiveWriter(Path.of(dir)));
        this.batchBytes = config.memory().retentionBatchBytes();
        for (RecordKind kind : RecordKind.values()) {
            this.config.of(kind).filter(policy -> policy.isNegative() || policy.isZero()).ifPresent(policy -> {
                throw new IllegalArgumentException("training-store.retention." + configName(kind) + " is " + policy
                        + ": give a positive duration such as 90d or P90D, or leave it unset to keep rows forever.");
            });
        }
    }

    /** The kinds with a policy. */
    public boolean anyPolicy() {
        return Arrays.stream(RecordKind.values()).anyMatch(kind -> config.of(kind).isPresent());
    }

    /** Runs retention for every kind as of {@code now}: rows with occurred_at before now - policy go. */
    public Uni<RetentionReport> run(Instant now) {
        Instant startedAt = now.truncatedTo(ChronoUnit.MICROS);
        return Multi.createFrom().items(RecordKind.values())
                .onItem().transformToUniAndConcatenate(kind -> runKind(kind, startedAt))
                .collect().asList()
                .map(reports -> {
                    Map<String, RetentionReport.Kind> kinds = new LinkedHashMap<>();
                    for (int i = 0; i < reports.size(); i++) {
                        kinds.put(RecordKind.values()[i].id(), reports.get(i));
                    }
                    return new RetentionReport(RowEncoder.instant(startedAt), archives.isPresent(), kinds);
                });
    }

    private Uni<RetentionReport.Kind> runKind(RecordKind kind, Instant now) {
        Optional<Duration> policy = config.of(kind);
        if (policy.isEmpty()) {
            return Uni.createFrom().item(new RetentionReport.Kind(null, null, 0, 0, List.of(), null));
        }
        // Strictly older than the cutoff: a row exactly as old as the policy stays.
        Instant cutoff = now.minus(policy.get());
        long started = System.currentTimeMillis();
        return removeAbandonedPartials(kind)
                .chain(removed -> Multi.createBy().repeating().uni(() -> batch(kind, cutoff))
                        .whilst(Batch::more)
                        .collect().asList())
                .map(batches -> {
                    long deleted = batches.stream().mapToLong(Batch::deleted).sum();
                    long archived = batches.stream().mapToLong(Batch::archived).sum();
                    List<String> files = batches.stream().map(Batch::file).filter(file -> file != null).toList();
                    boolean locked = batches.stream().anyMatch(Batch::locked);
                    if (!locked) {
                        metrics.finished(kind, started, System.currentTimeMillis());
                    }
                    if (deleted > 0) {
                        LOG.infof("Retention deleted %d %s rows older than %s (%s), archived %d in %d files",
                                deleted, kind.id(), RowEncoder.instant(cutoff), text(policy.get()), archived, files.size());
                    }
                    return new RetentionReport.Kind(text(policy.get()), RowEncoder.instant(cutoff), deleted,
                            archived, files, locked && deleted == 0 ? LOCKED : null);
                })
                .onFailure().invoke(failure -> LOG.errorf("Retention of %s failed; its expired rows stay stored and"
                        + " are tried again on the next run: %s", kind.id(), LogText.safe(failure.getMessage())));
    }

    /**
     * Clears what a crash left half-written in the kind's archive directory (see ArchiveWriter), by
     * the files' real age (a run's {@code now} may be another instant).
     */
    private Uni<Integer> removeAbandonedPartials(RecordKind kind) {
        if (archives.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return Uni.createFrom().item(() -> archives.get().removeAbandonedPartials(kind,
                        Instant.now().minus(ABANDONED_AFTER)))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .invoke(removed -> {
                    if (removed > 0) {
                        LOG.infof("Retention removed %d unfinished %s archive files left by a crash (their rows were"
                                + " kept and are archived again)", removed, kind.id());
                    }
                });
    }

    /** One batch in one transaction; see the class comment for its steps. */
    private Uni<Batch> batch(RecordKind kind, Instant cutoff) {
        return pool.withTransaction(connection -> connection
                .preparedQuery("SELECT pg_try_advisory_xact_lock($1, $2)").execute(Tuple.of(LOCK_CLASS, kind.ordinal()))
                .chain(locked -> locked.iterator().next().getBoolean(0)
                        ? expiredRows(connection, kind, cutoff)
                        : Uni.createFrom().item(Batch.LOCKED_OUT)))
                // Counted once committed: a batch rolled back deleted nothing.
                .invoke(batch -> metrics.batch(kind, batch.deleted(), batch.archived()))
                .chain(batch -> batch.more() && !config.batchPause().isZero()
                        ? Uni.createFrom().item(batch).onItem().delayIt().by(config.batchPause())
                        : Uni.createFrom().item(batch));
    }

    private Uni<Batch> expiredRows(SqlConnection connection, RecordKind kind, Instant cutoff) {
        if (archives.isEmpty()) {
            return deleteOldest(connection, kind, cutoff);
        }
        return connection.preparedQuery(batchIdentities(kind))
                .execute(Tuple.of(cutoff.atOffset(ZoneOffset.UTC), config.batchSize(), batchBytes))
                .chain(rowSet -> {
                    List<String> identities = new ArrayList<>(rowSet.size());
                    rowSet.forEach(row -> identities.add(row.getString(0)));
                    if (identities.isEmpty()) {
                        return Uni.createFrom().item(Batch.NONE);
                    }
                    return archive(connection, kind, identities, cutoff)
                            .chain(archived -> delete(connection, kind, archived.identities(), cutoff)
                                    // Cut by rows or by bytes: either way there may be more.
                                    .map(deleted -> new Batch(deleted, archived.identities().size(), archived.file(),
                                            true, false)));
                });
    }

    /**
     * The identities of the next batch: the oldest expired rows, in order, while they number at
     * most {@code $2} and their text ({@code octet_length} of the row as text, measured by
     * PostgreSQL, so no row is read here) sums to at most {@code $3} bytes; the first row always,
     * however large. A walk along the (occurred_at, identity) index that stops at the budget, so it
     * sizes only the rows it takes and one more.
     */
    static String batchIdentities(RecordKind kind) {
        String table = kind.qualifiedTable();
        String id = kind.identity();
        return "WITH RECURSIVE walk(occurred_at, id, running, n) AS ("
                + " (SELECT occurred_at, " + id + ", octet_length(t::text)::bigint, 1 FROM " + table + " t"
                + " WHERE occurred_at < $1 ORDER BY occurred_at, " + id + " LIMIT 1)"
                + " UNION ALL"
                + " SELECT next.occurred_at, next.id, walk.running + next.size, walk.n + 1 FROM walk CROSS JOIN LATERAL"
                + " (SELECT occurred_at, " + id + " AS id, octet_length(t::text)::bigint AS size FROM " + table + " t"
                + " WHERE occurred_at < $1 AND (occurred_at, " + id + ") > (walk.occurred_at, walk.id)"
                + " ORDER BY occurred_at, " + id + " LIMIT 1) next"
                + " WHERE walk.n < $2 AND walk.running + next.size <= $3)"
                + " SELECT id FROM walk";
    }

    /**
     * Locks the batch's rows ({@code FOR UPDATE}, re-checking the cutoff) and streams them into a
     * new archive file, a few rows at a time on a worker thread, so memory holds at most one
     * fetch of rows however large the batch. A failure removes the unfinished file and fails the
     * batch, whose transaction then rolls back (rows and lock released).
     */
    private Uni<Archived> archive(SqlConnection connection, RecordKind kind, List<String> identities, Instant cutoff) {
        String select = "SELECT " + ArchiveLines.selectList(kind) + " FROM " + kind.qualifiedTable()
                + " WHERE " + kind.identity() + " = ANY($1::text[]) AND occurred_at < $2"
                + " ORDER BY occurred_at, " + kind.identity() + " FOR UPDATE";
        Tuple parameters = Tuple.of(identities.toArray(String[]::new), cutoff.atOffset(ZoneOffset.UTC));
        ArchiveLines lines = ArchiveLines.of(kind);
        ArchiveFile file = new ArchiveFile(kind);
        return connection.prepare(select)
                .onItem().transformToMulti(statement -> statement.createStream(ROWS_PER_FETCH, parameters).toMulti())
                .group().intoLists().of(ROWS_PER_FETCH)
                .onItem().transformToUniAndConcatenate(rows -> onWorker(() -> file.write(rows, lines)))
                .collect().last()
                .chain(() -> onWorker(file::finish))
                .onFailure().call(() -> onWorker(file::abandon));
    }

    /** Without an archive no row is read: the oldest expired rows are deleted by identity. */
    private Uni<Batch> deleteOldest(SqlConnection connection, RecordKind kind, Instant cutoff) {
        String table = kind.qualifiedTable();
        String id = kind.identity();
        return connection.preparedQuery("DELETE FROM " + table + " WHERE " + id + " IN (SELECT " + id + " FROM " + table
                        + " WHERE occurred_at < $1 ORDER BY occurred_at, " + id + " LIMIT $2 FOR UPDATE) AND occurred_at < $1")
                .execute(Tuple.of(cutoff.atOffset(ZoneOffset.UTC), (long) config.batchSize()))
                .map(result -> new Batch(result.rowCount(), 0, null, result.rowCount() == config.batchSize(), false));
    }

    private Uni<Integer> delete(SqlConnection connection, RecordKind kind, List<String> identities, Instant cutoff) {
        if (identities.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return connection.preparedQuery("DELETE FROM " + kind.qualifiedTable() + " WHERE " + kind.identity()
                        + " = ANY($1::text[]) AND occurred_at < $2")
                .execute(Tuple.of(identities.toArray(String[]::new), cutoff.atOffset(ZoneOffset.UTC)))
                .map(result -> result.rowCount());
    }

    /** Blocking work (encoding, file writes) on the worker pool, never on the event loop. */
    private static <T> Uni<T> onWorker(java.util.function.Supplier<T> work) {
        return Uni.createFrom().item(work).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    /** What a batch archived: the rows written (the ones to delete) and the file, relative to the archive dir. */
    private record Archived(List<String> identities, String file) {
    }

    /**
     * One batch's archive file, opened with its first rows (a batch whose rows all turned young
     * meanwhile writes none). Used by one worker at a time, in order (concatenated chunks).
     */
    private final class ArchiveFile {
        private final RecordKind kind;
        private final int occurredAt;
        private final int identity;
        private final List<String> identities = new ArrayList<>();
        private ArchiveWriter.Open open;
        private Instant first;
        private Instant last;

        ArchiveFile(RecordKind kind) {
            this.kind = kind;
            this.occurredAt = columnIndex(kind, "occurred_at");
            this.identity = columnIndex(kind, kind.identity());
        }

        Integer write(List<Row> rows, ArchiveLines lines) {
            if (open == null) {
                open = archives.orElseThrow().open(kind);
                first = rows.get(0).getOffsetDateTime(occurredAt).toInstant();
            }
            open.write(lines.encode(rows));
            last = rows.get(rows.size() - 1).getOffsetDateTime(occurredAt).toInstant();
            rows.forEach(row -> identities.add(row.getString(identity)));
            return rows.size();
        }

        Archived finish() {
            return new Archived(identities, open == null ? null : open.finish(first, last));
        }

        Void abandon() {
            if (open != null) {
                open.abandon();
            }
            return null;
        }
    }

    private static int columnIndex(RecordKind kind, String name) {
        return kind.exportedColumns().indexOf(kind.exportedColumns().stream()
                .filter(column -> column.name().equals(name)).findFirst().orElseThrow());
    }

    /** A policy as ISO-8601, in days when it is whole days ({@code P90D}, not {@code PT2160H}). */
    static String text(Duration policy) {
        return policy.toSeconds() % 86_400 == 0 && policy.getNano() == 0 ? "P" + policy.toDays() + "D" : policy.toString();
    }

    /** The configuration key's last part for a kind, e.g. {@code tool-executions}. */
    static String configName(RecordKind kind) {
        return kind.id().replace('_', '-');
    }

    /** What one batch did; {@code more}: it was full, so another may find rows. */
    private record Batch(int deleted, int archived, String file, boolean more, boolean locked) {
        static final Batch NONE = new Batch(0, 0, null, false, false);
        static final Batch LOCKED_OUT = new Batch(0, 0, null, false, true);
    }
}
