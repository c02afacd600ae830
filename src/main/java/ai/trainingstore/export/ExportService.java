package ai.trainingstore.export;

import ai.trainingstore.kind.Column;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.export.parquet.ParquetEncoder;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.redact.RedactionPolicy;
import ai.trainingstore.store.ReadPool;
import ai.trainingstore.store.ReadSnapshot;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import ai.trainingstore.text.LogText;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.util.function.Function;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.concurrent.Semaphore;
import org.jboss.logging.Logger;

/**
 * Streams the rows of an export from a server-side cursor. The cursor lives in a read-only
 * transaction on one connection; rows are fetched only as the client's socket takes the bytes
 * (each chunk is requested when the previous one is written), so memory stays flat however large
 * the export and however slow the client. When the client hangs up, the stream is cancelled, the
 * transaction rolled back and the connection returned to the pool at once.
 */
// Created at start-up so that its meters (ExportMetrics) exist before the first export.
@Startup
@ApplicationScoped
public class ExportService {

    private static final Logger LOG = Logger.getLogger(ExportService.class);
    /** Chunks of rows an export holds fetched but not yet encoded (two: one arriving, one waiting). */
    static final int CHUNKS_FETCHED_AHEAD = 2;

    private final ReadPool reads;
    private final StoreConfig.Export config;
    private final StoreConfig.Memory memory;
    private final Semaphore running;
    private final ExportMetrics metrics;
    private final RedactionPolicy redaction;

    public ExportService(ReadPool reads, StoreConfig config, ExportMetrics metrics, RedactionPolicy redaction) {
        this.reads = reads;
        this.redaction = redaction;
        this.config = config.export();
        this.memory = config.memory();
        this.running = new Semaphore(this.config.maxConcurrent());
        this.metrics = metrics;
        metrics.runningGauge(() -> this.config.maxConcurrent() - running.availablePermits());
    }

    /** Thrown when the concurrent export cap is reached; answered with 429. */
    public static final class TooManyExportsException extends RuntimeException {
        TooManyExportsException(String message) {
            super(message, null, false, false);
        }
    }


    /**
     * The bytes of the export. The request is fully validated and its query built before this is
     * called; the export slot is taken only when the stream is subscribed (see {@link #inSlot}).
     */
    public Multi<Buffer> export(ExportRequest request) {
        List<Column> columns = request.kind().exportedColumns();
        BoundedQuery query = ExportQuery.of(request, columns);
        String kind = request.kind().id();
        Redaction redact = redaction.effective(request.redact());
        if (request.format() == ExportRequest.Format.PARQUET) {
            return inSlot(kind, () -> bytes(parquet(query, columns, kind, redact), false, kind));
        }
        return inSlot(kind, () -> {
            RowEncoder encoder = RowEncoder.of(request.format(), columns, redact);
            return bytes(encoded(query, encoder, kind), request.gzip(), kind);
        });
    }

    /**
     * A streamed answer that holds one of the export slots (exports and datasets share them): the
     * slot is taken when the stream is subscribed and given back when it ends, fails or is
     * cancelled, so a stream that is never subscribed holds nothing. Over the cap the stream fails
     * before its first byte with {@link TooManyExportsException} (429). {@code what} labels the
     * export metrics (a kind, or a dataset).
     */
    public <T> Multi<T> inSlot(String what, Supplier<Multi<T>> body) {
        return Multi.createFrom().deferred(() -> {
            reads.requireAvailable();
            if (!running.tryAcquire()) {
                metrics.exportRefused();
                throw new TooManyExportsException(config.maxConcurrent() + " exports are running, the most"
                        + " allowed (training-store.export.max-concurrent); retry when one has finished.");
            }
            try {
                metrics.exportStarted(what);
                return body.get()
                        .onFailure().invoke(() -> metrics.exportFailed(what))
                        .onTermination().invoke(running::release);
            } catch (RuntimeException e) {
                running.release();
                throw e;
            }
        });
    }

    /** Counts rows (or dataset lines) written by an export. */
    public void written(String what, int rows) {
        metrics.rowsExported(what, rows);
    }

    /** The chunks as response buffers, gzip-compressed when asked; a failure is logged with what failed. */
    public static Multi<Buffer> bytes(Multi<byte[]> chunks, boolean gzip, String what) {
        Multi<byte[]> body = chunks;
        if (gzip) {
            GzipChunks compressor = new GzipChunks();
            body = Multi.createBy().concatenating().streams(body.map(compressor::compress),
                    Multi.createFrom().item(compressor::finish));
        }
        return body
                .select().where(bytes -> bytes.length > 0)
                .map(Buffer::buffer)
                .onFailure().invoke(failure -> LOG.warnf("Export of %s failed; if it had started, the connection is"
                        + " closed without the final chunk so the client sees it cut: %s", what,
                        LogText.safe(failure.getMessage())));
    }

    /**
     * The rows of a query in chunks bounded by bytes ({@code memory.fetch-bytes}, or one larger
     * row) and by {@code rows-per-chunk}, from a server-side cursor in a read-only transaction,
     * fetched as downstream asks for them.
     */
    public Multi<List<Row>> chunks(BoundedQuery query) {
        return chunks(query, (chunks, snapshot) -> chunks);
    }

    /**
     * The rows of a query in chunks as {@link #chunks(BoundedQuery)}, handed to {@code body} with
     * the client of the same read-only transaction: queries {@code body} runs through it (a
     * dataset's lookups) read the same snapshot as the cursor, so one answer never mixes two
     * moments. Statements queue on the one connection, between the cursor's fetches.
     */
    public <T> Multi<T> chunks(BoundedQuery query, BiFunction<Multi<List<Row>>, SqlClient, Multi<T>> body) {
        return bounded(query, (cursor, snapshot) -> body.apply(
                Multi.createBy().repeating().uni(cursor::nextChunk).until(List::isEmpty), snapshot));
    }

    /**
     * The rows of a grouped query (its sizes query selects each row's group key second), a group
     * at a time: a group over {@code maxGroupBytes} comes without its rows, which are read through
     * and handed one at a time to {@code skipped}. Memory holds one group and one chunk.
     */
    public Multi<RowGroup> groups(BoundedQuery query, long maxGroupBytes, Consumer<Row> skipped) {
        return inSnapshot(snapshot -> groups(snapshot, query, maxGroupBytes, skipped));
    }

    /**
     * A read of several queries, one after another, in one read-only REPEATABLE READ snapshot:
     * {@code body} runs them through {@link #chunks(SqlConnection, BoundedQuery)} and
     * {@link #groups(SqlConnection, BoundedQuery, long, Consumer)} on the connection it is given.
     */
    public <T> Multi<T> inSnapshot(Function<SqlConnection, Multi<T>> body) {
        return ReadSnapshot.reading(reads, session -> body.apply(session.connection()));
    }

    /** {@link #chunks(BoundedQuery)} inside a snapshot opened by {@link #inSnapshot}. */
    public Multi<List<Row>> chunks(SqlConnection snapshot, BoundedQuery query) {
        return bounded(snapshot, query, (cursor, client) -> Multi.createBy().repeating().uni(cursor::nextChunk)
                .until(List::isEmpty));
    }

    /** {@link #groups(BoundedQuery, long, Consumer)} inside a snapshot opened by {@link #inSnapshot}. */
    public Multi<RowGroup> groups(SqlConnection snapshot, BoundedQuery query, long maxGroupBytes, Consumer<Row> skipped) {
        return bounded(snapshot, query, (cursor, client) -> Multi.createBy().repeating()
                .uni(() -> cursor.nextGroup(maxGroupBytes, skipped)).until(group -> group == RowGroup.END));
    }

    private <T> Multi<T> bounded(BoundedQuery query, BiFunction<BoundedCursor, SqlClient, Multi<T>> body) {
        return ReadSnapshot.reading(reads, session -> bounded(session.connection(), query, body));
    }

    private <T> Multi<T> bounded(SqlConnection connection, BoundedQuery query,
                                 BiFunction<BoundedCursor, SqlClient, Multi<T>> body) {
        return connection.prepare(query.sizesSql())
                .chain(sizes -> connection.prepare(query.rowsSql())
                        .map(rows -> new BoundedCursor(sizes.cursor(query.parameters()),
                                rows.cursor(query.parameters()), memory.fetchBytes(), config.rowsPerChunk(), metrics::fetched)))
                .onItem().transformToMulti(cursor -> body.apply(cursor, connection));
    }

    /**
     * The header, then the rows chunk by chunk. The header comes only once the query is prepared,
     * so a query PostgreSQL refuses fails the request before its first byte.
     */
    private Multi<byte[]> encoded(BoundedQuery query, RowEncoder encoder, String kind) {
        return Multi.createBy().concatenating().streams(
                Multi.createFrom().item(encoder::header),
                chunks(query)
                        // Encoding (and redaction) on a worker, never the event loop that runs the
                        // cursor, with the next chunks fetched meanwhile: PostgreSQL and the encoder
                        // work at the same time instead of taking turns. Bounded, so memory stays flat.
                        .emitOn(Infrastructure.getDefaultWorkerPool(), CHUNKS_FETCHED_AHEAD)
                        .invoke(chunk -> written(kind, chunk.size()))
                        .map(encoder::encode));
    }

    /**
     * One Parquet file: the rows chunk by chunk into the encoder, each chunk encoded on a worker
     * thread (one at a time, the next chunk fetched only when the bytes of this one are written),
     * then the footer. The file opens only once the query is prepared, so a query PostgreSQL
     * refuses fails the request before its first byte; a failure later leaves the file without
     * its footer.
     */
    private Multi<byte[]> parquet(BoundedQuery query, List<Column> columns, String kind, Redaction redact) {
        return Multi.createFrom().deferred(() -> {
            ParquetEncoder encoder = ParquetEncoder.open(kind, columns, config.parquet(), redact);
            Multi<List<byte[]>> rowGroups = chunks(query)
                    .invoke(chunk -> written(kind, chunk.size()))
                    .onItem().transformToUniAndConcatenate(chunk -> onWorker(() -> encoder.encode(chunk)));
            return Multi.createBy().concatenating()
                    .streams(rowGroups, onWorker(encoder::finish).toMulti())
                    .onItem().disjoint();
        });
    }

    /** Blocking work (encoding) on the worker pool, never on the event loop that runs the cursor. */
    private static <T> Uni<T> onWorker(Supplier<T> work) {
        return Uni.createFrom().item(work).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    /**
     * With {@code offload}, each item is handed to a worker thread and what follows runs there:
     * redaction is CPU work that must not hold an event loop. One item at a time, so demand (and
     * memory) stays as it was.
     */
    public static <T> Multi<T> onWorkerWhen(boolean offload, Multi<T> items) {
        return !offload ? items : items.onItem().transformToUniAndConcatenate(item -> Uni.createFrom().item(item)
                .emitOn(Infrastructure.getDefaultWorkerPool()));
    }

}
