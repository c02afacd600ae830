package ai.trainingstore.export;

import ai.trainingstore.config.StoreConfig;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
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

    private final Pool pool;
    private final StoreConfig.Export config;
    private final Semaphore running;
    private final ExportMetrics metrics;

    public ExportService(Pool pool, StoreConfig config, ExportMetrics metrics) {
        this.pool = pool;
        this.config = config.export();
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

    private record Session(SqlConnection connection, Transaction transaction) {
    }

    /** The bytes of the export. Takes one of the export slots until the stream ends, fails or is cancelled. */
    public Multi<Buffer> export(ExportRequest request) {
        if (!running.tryAcquire()) {
            metrics.exportRefused();
            throw new TooManyExportsException(config.maxConcurrent() + " exports are running, the most allowed"
                    + " (training-store.export.max-concurrent); retry when one has finished.");
        }
        List<ExportColumn> columns = ExportColumn.of(request.kind());
        ExportQuery query = ExportQuery.of(request, columns);
        RowEncoder encoder = RowEncoder.of(request.format(), columns);
        metrics.exportStarted(request.kind());
        Multi<byte[]> body = Multi.createBy().concatenating().streams(
                Multi.createFrom().item(encoder::header),
                rows(query).group().intoLists().of(config.rowsPerChunk())
                        .invoke(chunk -> metrics.rowsExported(request.kind(), chunk.size()))
                        .map(encoder::encode));
        if (request.gzip()) {
            GzipChunks gzip = new GzipChunks();
            body = Multi.createBy().concatenating().streams(body.map(gzip::compress),
                    Multi.createFrom().item(gzip::finish));
        }
        return body
                .select().where(bytes -> bytes.length > 0)
                .map(Buffer::buffer)
                .onFailure().invoke(() -> metrics.exportFailed(request.kind()))
                .onFailure().invoke(failure -> LOG.warnf("Export of %s failed after it started; the connection is"
                        + " closed without the final chunk so the client sees it cut: %s", request.kind().id(),
                        failure.getMessage()))
                .onTermination().invoke(running::release);
    }

    private Multi<Row> rows(ExportQuery query) {
        return Multi.createFrom().resourceFromUni(this::openSession,
                        session -> session.connection().prepare(query.sql())
                                .onItem().transformToMulti(statement -> statement
                                        .createStream(config.rowsPerChunk(), query.parameters())
                                        .toMulti()))
                .withFinalizer(this::closeSession);
    }

    private Uni<Session> openSession() {
        return pool.getConnection().chain(connection -> connection.begin()
                .map(transaction -> new Session(connection, transaction))
                .onFailure().call(connection::close));
    }

    /** Read-only: rolling back is the cheapest way to end the transaction, whatever happened. */
    private Uni<Void> closeSession(Session session) {
        return session.transaction().rollback()
                .onFailure().recoverWithNull()
                .eventually(() -> session.connection().close());
    }
}
