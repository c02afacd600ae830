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
 * <li>selects the oldest expired rows {@code FOR UPDATE}, so a merge arriving meanwhile waits and
 * what is archived is exactly what is deleted;</li>
 * <li>writes them to an archive file and forces it to disk (on a worker thread);</li>
 * <li>deletes them, re-checking the cutoff, and commits.</li>
 * </ol>
 * A crash before the commit leaves the rows stored (and perhaps archived already: archived twice,
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

    private final Pool pool;
    private final StoreConfig.Retention config;
    private final RetentionMetrics metrics;
    private final Optional<ArchiveWriter> archives;

    public RetentionJob(Pool pool, StoreConfig config, RetentionMetrics metrics) {
        this.pool = pool;
        this.config = config.retention();
        this.metrics = metrics;
        this.archives = this.config.archiveDir().map(dir -> new ArchiveWriter(Path.of(dir)));
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
                    return new RetentionReport(RowEncoder.instant(startedAt), config.archiveDir().orElse(null), kinds);
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
        String select = "SELECT " + ArchiveLines.selectList(kind) + " FROM " + kind.qualifiedTable()
                + " WHERE occurred_at < $1 ORDER BY occurred_at, " + kind.identity() + " LIMIT $2 FOR UPDATE";
        return connection.preparedQuery(select)
                .execute(Tuple.of(cutoff.atOffset(ZoneOffset.UTC), (long) config.batchSize()))
                .chain(rowSet -> {
                    List<Row> rows = new ArrayList<>(rowSet.size());
                    rowSet.forEach(rows::add);
                    if (rows.isEmpty()) {
                        return Uni.createFrom().item(Batch.NONE);
                    }
                    return archive(kind, rows).chain(file -> delete(connection, kind, rows, cutoff)
                            .map(deleted -> {
                                int archived = file == null ? 0 : rows.size();
                                return new Batch(deleted, archived, file, rows.size() == config.batchSize(), false);
                            }));
                });
    }

    /** The archive file of these rows (null without an archive dir), on disk before this completes. */
    private Uni<String> archive(RecordKind kind, List<Row> rows) {
        if (archives.isEmpty()) {
            return Uni.createFrom().nullItem();
        }
        int occurredAt = kind.exportedColumns().indexOf(kind.exportedColumns().stream()
                .filter(column -> column.name().equals("occurred_at")).findFirst().orElseThrow());
        return Uni.createFrom().item(() -> {
                    byte[] lines = ArchiveLines.of(kind).encode(rows);
                    Instant first = rows.get(0).getOffsetDateTime(occurredAt).toInstant();
                    Instant last = rows.get(rows.size() - 1).getOffsetDateTime(occurredAt).toInstant();
                    return archives.get().write(kind, lines, first, last).toString();
                })
                // Encoding and file writes block: never on the event loop.
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private Uni<Integer> delete(SqlConnection connection, RecordKind kind, List<Row> rows, Instant cutoff) {
        int identity = kind.exportedColumns().indexOf(kind.exportedColumns().stream()
                .filter(column -> column.name().equals(kind.identity())).findFirst().orElseThrow());
        String[] identities = rows.stream().map(row -> row.getString(identity)).toArray(String[]::new);
        return connection.preparedQuery("DELETE FROM " + kind.qualifiedTable() + " WHERE " + kind.identity()
                        + " = ANY($1::text[]) AND occurred_at < $2")
                .execute(Tuple.of(identities, cutoff.atOffset(ZoneOffset.UTC)))
                .map(result -> result.rowCount());
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
